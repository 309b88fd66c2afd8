/**
 * The page's side of the live feed: Server-Sent Events read with `fetch()` and a stream reader
 * (an `EventSource` cannot send the bearer token, and a token never goes in a URL), with the
 * user's `Authorization` header.
 *
 * - Events are batched: they are handed to the page at most once per `flushMs` (250 ms), so a
 *   page redraws at most four times a second however many events flow.
 * - The feed's `id:` lines name places in the transition audit (see the server's live-feed.ts);
 *   the last one is sent back as `Last-Event-ID` when the stream is opened again.
 * - When a stream ends or fails, it is opened again after a growing delay (0.5 s doubling to
 *   10 s), resuming after the last id. Each time a stream opens, `onOpen` asks the page to catch
 *   up from the API (re-read its list): what changed before the stream started, or while none
 *   was open, is not all in the events it will get.
 * - A 401 or 403 stops it: the page says that live updates need the permission.
 */
import { authHeaders, livePath } from './api-client';

/** One event, as the feed's `data` carries it. */
export interface LiveEvent {
  /** `<transition id>.<n>`. */
  readonly id: string;
  readonly name: string;
  /** Epoch ms. */
  readonly at: number;
  readonly task_id: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
}

export type LiveStatus = 'connecting' | 'open' | 'retrying' | 'denied';

export interface LiveFeedHandlers {
  /** A batch of events, in the order they arrived. */
  onEvents(events: readonly LiveEvent[]): void;
  onStatus(status: LiveStatus): void;
  /** A stream opened (the first, or again after a break): re-read what the page shows. */
  onOpen(): void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Calls `onMessage` for each message of an SSE body: its `id:` (if any) and `data:` (if any). */
async function readMessages(
  body: ReadableStream<Uint8Array>,
  onMessage: (id: string | undefined, data: string | undefined) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let id: string | undefined;
      let data: string | undefined;
      for (const line of block.split('\n')) {
        if (line.startsWith('id:')) id = line.slice(3).trim();
        else if (line.startsWith('data:'))
          data = (data === undefined ? '' : `${data}\n`) + line.slice(5).trimStart();
      }
      onMessage(id, data);
    }
  }
}

/** Opens the live feed; returns the function that closes it for good. */
export function openLiveFeed(
  handlers: LiveFeedHandlers,
  options: { readonly flushMs?: number } = {},
): () => void {
  const flushMs = options.flushMs ?? 250;
  const stop = new AbortController();
  let lastEventId: string | undefined;
  let batch: LiveEvent[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    timer = undefined;
    const events = batch;
    batch = [];
    if (!stop.signal.aborted && events.length > 0) handlers.onEvents(events);
  };
  const onMessage = (id: string | undefined, data: string | undefined) => {
    if (id !== undefined && id !== '') lastEventId = id;
    if (data === undefined) return; // an id alone: a place in the audit, nothing to show
    try {
      batch.push(JSON.parse(data) as LiveEvent);
    } catch {
      return; // not an event of ours
    }
    if (timer === undefined) timer = setTimeout(flush, flushMs);
  };

  void (async () => {
    let failures = 0;
    let opened = false;
    while (!stop.signal.aborted) {
      handlers.onStatus(opened ? 'retrying' : 'connecting');
      try {
        const headers: Record<string, string> = { Accept: 'text/event-stream', ...authHeaders() };
        if (lastEventId !== undefined) headers['Last-Event-ID'] = lastEventId;
        const response = await fetch(livePath(), {
          headers,
          cache: 'no-store',
          credentials: 'same-origin',
          signal: stop.signal,
        });
        if (response.status === 401 || response.status === 403) {
          await response.body?.cancel();
          handlers.onStatus('denied');
          return;
        }
        if (response.ok && response.body !== null) {
          opened = true;
          failures = 0;
          handlers.onStatus('open');
          handlers.onOpen();
          await readMessages(response.body, onMessage);
        } else {
          await response.body?.cancel();
        }
      } catch {
        // A network error or a reset stream: open it again below.
      }
      if (stop.signal.aborted) return;
      failures++;
      await sleep(Math.min(500 * 2 ** (failures - 1), 10_000), stop.signal);
    }
  })();

  return () => {
    stop.abort();
    if (timer !== undefined) clearTimeout(timer);
  };
}
