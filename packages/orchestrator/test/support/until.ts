/**
 * Polls `read` until `done` accepts its value. The bound is a count of reads, generous enough
 * for a loaded CI machine; it only turns a hang into a failure that says what was awaited.
 */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  { intervalMs = 50, tries = 1_200 }: { intervalMs?: number; tries?: number } = {},
): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < tries; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`gave up waiting for ${what}; last value: ${JSON.stringify(last)}`);
}
