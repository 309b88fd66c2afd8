import { once } from 'node:events';
import { createGzip } from 'node:zlib';

/**
 * Gzips a render as its parts arrive, on libuv's thread pool: compression overlaps rendering,
 * and the event loop only hands buffers over. `onSlice` is told how long each hand-over held
 * the loop.
 */
export async function gzipParts(
  parts: AsyncIterable<Uint8Array>,
  onSlice?: (durationMs: number) => void,
): Promise<Uint8Array> {
  const gzip = createGzip();
  const out: Buffer[] = [];
  gzip.on('data', (data: Buffer) => out.push(data));
  const ended = once(gzip, 'end');
  try {
    for await (const part of parts) {
      const start = performance.now();
      const ready = gzip.write(part);
      onSlice?.(performance.now() - start);
      if (!ready) await once(gzip, 'drain');
    }
    gzip.end();
    await ended;
  } catch (error) {
    gzip.destroy();
    throw error;
  }
  return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
}
