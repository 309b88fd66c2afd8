/**
 * The API's transport over a real node:http server on 127.0.0.1: authentication before any
 * body is read, exact media types, a 413 that the client receives (not a reset) for a 100 MB
 * upload, slow clients cut off after the headers timeout, and the connection cap.
 */
import { connect, type Socket } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtAuthenticator } from '../src/api/index';
import { createPgliteStore, type TaskStore } from '../src/index';
import { type ApiHarness, startApiHarness } from './support/api-harness';

const SECRET = 'a-transport-test-secret-of-32-bytes!!';
const VALID_TASK = JSON.stringify({
  namespace: 'shop',
  name: 'checkout',
  version: '1.0.0',
  context: { order_id: 't-1' },
});

/** Opens a socket to `url`'s port, sends `text`, and resolves with what came back and when it closed. */
function rawExchange(
  url: string,
  text: string,
  waitMs: number,
): Promise<{ reply: string; closedAfterMs?: number }> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const started = performance.now();
    let reply = '';
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
    socket.on('data', (d) => {
      reply += d.toString('latin1');
    });
    socket.on('error', () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ reply });
    }, waitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ reply, closedAfterMs: performance.now() - started });
    });
  });
}

describe('API transport', () => {
  let store: TaskStore;
  let h: ApiHarness;
  let token: string;

  beforeAll(async () => {
    store = await createPgliteStore();
    h = await startApiHarness(store, {
      auth: { authenticate: createJwtAuthenticator({ secret: SECRET }), onRefusedToken: () => {} },
    });
    token = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('transport')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await store?.close();
  });

  it('answers an anonymous request before reading its body', async () => {
    // Chunked, and no chunk ever sent: a server that read the body first would never answer.
    const path = new URL(`${h.base}/tasks`).pathname;
    const { reply } = await rawExchange(
      h.base,
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
      3_000,
    );
    expect(reply.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('reads JSON only as application/json in UTF-8 (415 otherwise)', async () => {
    const post = (type: string) =>
      fetch(`${h.base}/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': type },
        body: VALID_TASK,
      });
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON;charset="UTF-8"',
    ])
      expect((await post(type)).status, type).toBe(201);
    for (const type of [
      'application/json; charset=utf-16',
      'application/merge-patch+json',
      'application/jsonx',
      'text/json',
      'text/plain',
      'application/json; charset=utf-8; boundary=x',
    ]) {
      const r = await post(type);
      expect(r.status, type).toBe(415);
      expect(((await r.json()) as { code: string }).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  for (const framing of ['content-length', 'chunked'] as const) {
    it(`keeps its 413 for a client that reads it only after sending more of its body (${framing})`, async () => {
      // A raw client that sends 16 MiB of a 100 MB body (declared, or chunked without a length)
      // without reading (a slow reader, or one busy uploading), and reads only then. A server
      // that closed the socket once its 413 was written, or stopped reading, would reset the
      // connection under the upload, and the kernel would drop the unread answer with it: the
      // client would see EPIPE or ECONNRESET and no 413.
      const { port } = new URL(h.base);
      const outcome = await new Promise<string>((resolve) => {
        let reply = '';
        const socket = connect(Number(port), '127.0.0.1');
        socket.pause();
        const status = () => reply.split('\r\n')[0] ?? '';
        socket.on('error', (error: NodeJS.ErrnoException) => resolve(status() || (error.code ?? 'error')));
        socket.on('data', (d) => {
          reply += d.toString('latin1');
          if (reply.includes('\r\n')) {
            resolve(status());
            socket.destroy();
          }
        });
        socket.on('end', () => resolve(status()));
        const length =
          framing === 'chunked' ? 'transfer-encoding: chunked' : `content-length: ${100 * 1024 * 1024}`;
        socket.write(
          `POST /tasker/tasks HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${token}\r\n` +
            `content-type: application/json\r\n${length}\r\n\r\n`,
        );
        const mib = Buffer.alloc(1024 * 1024, 0x20);
        const chunk =
          framing === 'chunked' ? Buffer.concat([Buffer.from('100000\r\n'), mib, Buffer.from('\r\n')]) : mib;
        let sent = 0;
        const more = () => {
          while (sent < 16) {
            sent++;
            if (!socket.write(chunk)) return void socket.once('drain', more);
          }
          setTimeout(() => socket.resume(), 300);
        };
        more();
      });
      expect(outcome).toBe('HTTP/1.1 413 Payload Too Large');
    });
  }

  it('cuts off a client that never finishes its headers, and caps connections', async () => {
    const server = await h.api.listen({ headersTimeoutMs: 1_000, maxConnections: 2 });
    const open: Socket[] = [];
    try {
      const slow = await rawExchange(server.url, 'GET /tasker/health/live HTTP/1.1\r\nHost: x\r\n', 8_000);
      expect(slow.closedAfterMs, 'closed by the server').toBeDefined();
      expect(slow.closedAfterMs).toBeLessThan(6_000);
      expect(slow.reply).toMatch(/^(HTTP\/1\.1 408|$)/);
      // Two idle connections fill the cap; a third is closed at once, unanswered.
      for (let i = 0; i < 2; i++) {
        const s = connect(Number(new URL(server.url).port), '127.0.0.1');
        s.on('error', () => {});
        await new Promise((resolve) => s.once('connect', resolve));
        open.push(s);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      const third = await rawExchange(
        server.url,
        'GET /tasker/health/live HTTP/1.1\r\nHost: x\r\n\r\n',
        3_000,
      );
      expect(third.reply).toBe('');
      expect(third.closedAfterMs).toBeDefined();
      for (const s of open) s.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const after = await rawExchange(
        server.url,
        'GET /tasker/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        3_000,
      );
      expect(after.reply.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    } finally {
      for (const s of open) s.destroy();
      await server.close();
    }
  }, 30_000);
});
