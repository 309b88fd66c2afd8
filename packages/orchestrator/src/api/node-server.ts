/**
 * node:http glue: a request listener for the fetch-style app, and `listen`, which sets the
 * server's limits (time to send headers, time for a whole request, keep-alive, connections).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { DRAIN_LIMIT_BYTES } from './body-limit';

/** A node:http request listener. */
export type NodeListener = (request: IncomingMessage, response: ServerResponse) => void;

/** A server started by `listen`. */
export interface RunningServer {
  /** `http://127.0.0.1:<port>` (no prefix). */
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections and closes idle ones; resolves once closed. */
  close(): Promise<void>;
}

/** Limits of the node:http server that `listen` starts. */
export interface ServerLimits {
  /** Time a client has to send a request's headers, ms (slow clients are cut off). Default 10,000. */
  readonly headersTimeoutMs?: number;
  /** Time a client has to send a whole request, ms. Default 30,000. */
  readonly requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open, ms. Default 5,000. */
  readonly keepAliveTimeoutMs?: number;
  /** Most connections open at once; more are closed as they arrive. Default 1,000. */
  readonly maxConnections?: number;
}

export const DEFAULT_SERVER_LIMITS: Required<ServerLimits> = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1_000,
});

/**
 * Lingering close. A refusal that did not read the body (a 413) closes the connection
 * (`Connection: close`): the rest of that body cannot be told apart from a next request. Node
 * would destroy the socket as soon as the answer is written, with the upload still arriving,
 * and the client would see a reset instead of the answer. So the socket only half-closes (the
 * answer, then FIN), the rest of the body is read and discarded, up to a cap in bytes
 * (`DRAIN_LIMIT_BYTES`, shared with the body limit) and in time, and the socket is closed once
 * the body has all come (or destroyed past a cap, or when the client closes).
 */
const LINGER_MS = 5_000;

type LingeringSocket = IncomingMessage['socket'] & {
  destroySoon?: () => void;
  /** The request now being answered on this connection (set for each request). */
  [CURRENT_REQUEST]?: IncomingMessage;
};
const CURRENT_REQUEST = Symbol('tasker.currentRequest');
const WRAPPED = new WeakSet<object>();

/** Makes `request`'s connection close lingering; the socket is wrapped once, on its first request. */
function lingerOnClose(request: IncomingMessage): void {
  const socket = request.socket as LingeringSocket;
  socket[CURRENT_REQUEST] = request;
  if (WRAPPED.has(socket)) return;
  const destroySoon = socket.destroySoon;
  if (typeof destroySoon !== 'function') return;
  WRAPPED.add(socket);
  socket.destroySoon = function lingeringClose(this: LingeringSocket) {
    const current = this[CURRENT_REQUEST];
    if (current === undefined || current.complete || this.destroyed) return destroySoon.call(this);
    let seen = 0;
    const stop = () => this.destroy();
    const timer = setTimeout(stop, LINGER_MS);
    timer.unref();
    this.once('close', () => clearTimeout(timer));
    // The rest of the body is read through the request, which the HTTP parser feeds (the parser
    // may read the socket itself, so the socket's own 'data' never comes), and dropped. Whoever
    // listened to the request (the fetch adapter's body stream, which nobody reads now) stops
    // hearing it, so that it neither buffers the body nor holds the parser back.
    current.removeAllListeners('data');
    current.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > DRAIN_LIMIT_BYTES) stop();
    });
    current.once('end', () => destroySoon.call(this));
    this.once('end', stop);
    this.end();
    current.resume();
  };
}

export function toNodeListener(fetch: (request: Request) => Promise<Response>): NodeListener {
  const listener = getRequestListener(fetch, { overrideGlobalObjects: false }) as NodeListener;
  return (request, response) => {
    lingerOnClose(request);
    listener(request, response);
  };
}

export function listen(
  listener: NodeListener,
  port: number,
  hostname: string,
  limits: ServerLimits = {},
): Promise<RunningServer> {
  const l = { ...DEFAULT_SERVER_LIMITS, ...limits };
  const server = createServer(
    {
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      keepAliveTimeout: l.keepAliveTimeoutMs,
      // How often expired headers and requests are looked for (node's default is 30 s).
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, l.headersTimeoutMs / 2)),
    },
    listener,
  );
  server.maxConnections = l.maxConnections;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve({
        url: `http://${host}:${address.port}`,
        port: address.port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error === undefined ? done() : fail(error)));
            server.closeIdleConnections();
          }),
      });
    });
  });
}
