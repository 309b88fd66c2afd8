/** node:http glue: a request listener for the fetch-style app, and a small `listen`. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';

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

export function toNodeListener(fetch: (request: Request) => Promise<Response>): NodeListener {
  return getRequestListener(fetch, { overrideGlobalObjects: false }) as NodeListener;
}

export function listen(listener: NodeListener, port: number, hostname: string): Promise<RunningServer> {
  const server = createServer(listener);
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
