/**
 * A TCP proxy on 127.0.0.1 for the "losing the database" tests: it forwards every connection
 * to a target (PostgreSQL), and on demand cuts the network for a while: it resets every open
 * connection (the client sees ECONNRESET, the server a closed socket) and closes its port, so
 * that new connections are refused (ECONNREFUSED), then listens on the same port again.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A running proxy. */
export interface TcpProxy {
  readonly port: number;
  /** Connections accepted, and connections reset by outages, so far. */
  readonly stats: { readonly accepted: number; readonly dropped: number };
  /** `url` with its host and port replaced by the proxy's. */
  rewrite(url: string): string;
  /**
   * Resets every connection and refuses new ones for `ms`. `during` runs once the port is
   * closed (a test checks what it needs while the network is down).
   */
  outage(ms: number, during?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
}

/** Starts a proxy to `target` on an ephemeral port of 127.0.0.1. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const stats = { accepted: 0, dropped: 0 };
  const accept = (client: net.Socket) => {
    stats.accepted++;
    const upstream = net.connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const listen = async (port: number): Promise<net.Server> => {
    const server = net.createServer(accept);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return server;
  };
  let server = await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const closeServer = (s: net.Server) => new Promise<void>((resolve) => s.close(() => resolve()));

  return {
    port,
    stats,
    rewrite(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async outage(ms, during) {
      const closed = closeServer(server);
      for (const p of [...pairs]) {
        stats.dropped++;
        pairs.delete(p);
        p.client.resetAndDestroy();
        p.upstream.destroy();
      }
      await closed;
      const started = Date.now();
      await during?.();
      await sleep(Math.max(0, ms - (Date.now() - started)));
      server = await listen(port);
    },
    async close() {
      const closed = closeServer(server);
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await closed;
    },
  };
}

/** Resolves with the error code of a connection attempt to 127.0.0.1:`port` (`ok` if it connected). */
export function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('ok');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
