import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeMetricsHandler, type MetricsHandlerOptions } from './metrics-handler';

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions extends MetricsHandlerOptions {
  /** Default 9464 (the OpenTelemetry Prometheus exporter's). 0 picks a free port. */
  readonly port?: number;
  /** Default `127.0.0.1`. Use `0.0.0.0` to be scraped from other machines. */
  readonly host?: string;
  /** Default `/metrics`. Other paths answer 404. */
  readonly path?: string;
}

/** A running metrics server. */
export interface MetricsServer {
  readonly server: Server;
  readonly port: number;
  /** `http://host:port/metrics` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `/metrics` on its own port, for programs without a web framework. Resolves once it
 * listens; rejects if it cannot (a port in use, say).
 *
 * @example
 * ```ts
 * const server = await startMetricsServer({ registry, port: 9464 });
 * ```
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { port = 9464, host = '127.0.0.1', path = '/metrics', ...handlerOptions } = options;
  const handle = createNodeMetricsHandler(handlerOptions);
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== path) {
      response.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify({ error: 'not_found', message: `metrics are served at ${path}` }));
      return;
    }
    handle(request, response).catch(() => {
      // The handler answers every failure itself; this only guards against a broken socket.
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port: actual,
    url: `http://${shownHost}:${actual}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
