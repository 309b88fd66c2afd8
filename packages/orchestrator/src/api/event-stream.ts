/**
 * The live event feed as Server-Sent Events (`GET <prefix>/events/stream`): the events of every
 * transition committed by any process, read from the transition audit by an {@link AuditTail},
 * one per open stream.
 *
 * - Each event is `id: <transition id>.<n>`, `event: <name>`, `data: {"id","name","at","task_id","payload"}`.
 *   A client that reconnects with `Last-Event-ID` gets what followed, with no gap and no repeat.
 * - Back-pressure: the stream is pulled. A page of the audit is read only when the client has
 *   taken the last one (the HTTP layer waits for the socket to drain), so a slow client holds
 *   one page in memory and falls behind in the audit, not in the server's heap.
 * - A comment line every `heartbeatMs` without events keeps proxies from closing the
 *   connection and lets a client notice a dead one.
 * - It ends when the client goes away (the read is cancelled), when the API closes
 *   (`api.close()`, or the server of `api.listen()` closes), or after a read of the store
 *   fails (reported to `onError`; the client resumes with its `Last-Event-ID`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditTail, type FeedEvent, type FeedPosition } from '../engine/audit-tail';
import type { StoreAudit } from '../store/store-audit';

/** Timing and size of the feed; validated by `createTaskerApi`. */
export interface EventStreamOptions {
  /** How often an idle stream reads the audit, ms. Default 250. */
  readonly pollIntervalMs?: number;
  /** A comment after this long without events, ms. Default 15 000. */
  readonly heartbeatMs?: number;
  /** Audit rows per read. Default 100. */
  readonly batchSize?: number;
  /** The longest a missing transition id holds a stream back (see `AuditTail`), ms. Default 30 000. */
  readonly gapTimeoutMs?: number;
}

/** What one stream sends. */
export interface StreamFilter {
  readonly after: FeedPosition | undefined;
  readonly taskId: string | undefined;
  /** Event name prefixes (`step.`, `task.completed`); empty: every event. */
  readonly prefixes: readonly string[];
  /** With owner scoping, only this owner's tasks. */
  readonly owner: string | undefined;
}

const encoder = new TextEncoder();

function frame(e: FeedEvent): string {
  const data = JSON.stringify({ id: e.id, name: e.name, at: e.at, task_id: e.taskId, payload: e.payload });
  return `id: ${e.id}\nevent: ${e.name}\ndata: ${data}\n\n`;
}

/** The open streams of one API, so that it can end them when it closes. */
export class EventStreams {
  readonly #open = new Set<() => void>();
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** Streams open now. */
  get size(): number {
    return this.#open.size;
  }

  /** Ends every open stream; later ones are refused by the route. */
  close(): void {
    this.#closed = true;
    for (const end of [...this.#open]) end();
  }

  /** A new stream of `audit`'s events that pass `filter`. */
  open(
    audit: StoreAudit,
    filter: StreamFilter,
    options: Required<EventStreamOptions>,
    onError: (error: unknown) => void,
  ): ReadableStream<Uint8Array> {
    const tail = new AuditTail(audit, {
      ...(filter.after === undefined ? {} : { after: filter.after }),
      batchSize: options.batchSize,
      gapTimeoutMs: options.gapTimeoutMs,
    });
    const stop = new AbortController();
    let lastSent = Date.now();
    let immediate = true;
    const wanted = (e: FeedEvent): boolean =>
      (filter.taskId === undefined || e.taskId === filter.taskId) &&
      (filter.owner === undefined || e.owner === filter.owner) &&
      (filter.prefixes.length === 0 || filter.prefixes.some((p) => e.name.startsWith(p)));
    let end: () => void = () => {};
    const unregister = () => {
      this.#open.delete(end);
      stop.abort();
    };

    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          end = () => {
            unregister();
            try {
              controller.close();
            } catch {
              // already closed or errored
            }
          };
          this.#open.add(end);
          // The reconnection delay for EventSource-style clients, and a first byte for proxies.
          controller.enqueue(encoder.encode(`retry: 2000\n: tasker events\n\n`));
        },
        // Called only when the client has taken what was sent: the back-pressure.
        pull: async (controller) => {
          while (!stop.signal.aborted) {
            if (!immediate) {
              try {
                await sleep(options.pollIntervalMs, undefined, { signal: stop.signal });
              } catch {
                return; // aborted: ended
              }
            }
            let read: Awaited<ReturnType<AuditTail['next']>>;
            try {
              read = await tail.next();
            } catch (error) {
              if (stop.signal.aborted) return;
              onError(error);
              end();
              return;
            }
            if (stop.signal.aborted) return;
            immediate = read.full;
            let text = '';
            for (const e of read.events) if (wanted(e)) text += frame(e);
            if (text !== '') {
              lastSent = Date.now();
              controller.enqueue(encoder.encode(text));
              return;
            }
            if (Date.now() - lastSent >= options.heartbeatMs) {
              lastSent = Date.now();
              controller.enqueue(encoder.encode(': heartbeat\n\n'));
              return;
            }
          }
        },
        cancel: () => unregister(),
      },
      { highWaterMark: 0 },
    );
  }
}
