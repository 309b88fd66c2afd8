/**
 * Reads a Server-Sent Events response as a browser page would with `fetch()`: messages (id,
 * event, data) and comment lines, as they arrive.
 */

/** One message of the stream. */
export interface SseMessage {
  readonly id: string;
  readonly event: string;
  // biome-ignore lint/suspicious/noExplicitAny: asserted field by field in tests
  readonly data: Record<string, any>;
}

export class SseReader {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  #ended = false;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #done: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(response: Response) {
    if (response.body === null) throw new Error('the response has no body');
    this.#reader = response.body.getReader();
    this.#done = this.#pump();
  }

  get ended(): boolean {
    return this.#ended;
  }

  async #pump(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await this.#reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let at = buffer.indexOf('\n\n');
        while (at >= 0) {
          this.#block(buffer.slice(0, at));
          buffer = buffer.slice(at + 2);
          at = buffer.indexOf('\n\n');
        }
        this.#wake();
      }
    } catch {
      // cancelled or reset: ended
    }
    this.#ended = true;
    this.#wake();
  }

  #block(block: string): void {
    let id = '';
    let event = 'message';
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    if (data !== '') this.messages.push({ id, event, data: JSON.parse(data) });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Waits until `done()` holds (checked as data arrives), or fails after `timeoutMs`. */
  async until(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.#ended) throw new Error(`the stream ended while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`gave up waiting for ${what} (${this.messages.length} messages)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once the server ended the stream. */
  async closed(): Promise<void> {
    await this.#done;
  }

  /** Goes away, as a closed tab does. */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
    await this.#done;
  }
}

/** The transition id of an event id `<transition id>.<n>`. */
export function transitionOf(eventId: string): number {
  return Number(eventId.slice(0, eventId.indexOf('.')));
}
