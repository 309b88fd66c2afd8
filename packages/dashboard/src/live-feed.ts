/**
 * The dashboard's live feed, `GET <prefix><path>-live` (`/tasker/ui-live`), guarded by
 * `tasker.events:index`: the API's own event stream (`GET <prefix>/events/stream`, read from the
 * transition audit, so it carries the events of every process), merged with the events this
 * process publishes, taken from the router by a tap the moment they are routed.
 *
 * Why two sources: the audit stream polls (every 250 ms by default) and covers every process;
 * the tap is immediate but sees only this process. Both carry the same event id,
 * `<transition id>.<n>`, so the merge drops the second copy of an event by its id.
 *
 * The wire format is the API stream's, with one rule about `id:` lines: an event taken from the
 * tap is sent without one (`event:` and `data:` only, its id inside `data`), and when the audit
 * later reaches it, only its `id:` line is sent (a message with no data, which a reader takes as
 * "resume after this" and dispatches nothing). So a reader's last event id always names a place
 * in the audit, and resuming with `Last-Event-ID` never skips another process's events that the
 * audit had not reached when the tap delivered a later local one.
 *
 * - Only `task.before_transition` and `step.before_transition` are sent: each transition's
 *   `{ fromState, toState }`, which is what a list of tasks shows.
 * - The tap is added when the first stream opens and removed when the last one ends, so a
 *   dashboard nobody watches costs the router nothing.
 * - With owner scoping (the caller may see only its own tasks), tapped events are not used: their
 *   payloads do not say whose task they are. The audit stream, scoped by the API, is the feed.
 * - A reader that falls behind (more than {@link MAX_QUEUED} messages queued) loses tapped events,
 *   never audit ones: the audit brings the same events a moment later, and the stream's pull
 *   reads the audit only as the reader drains it (the API stream's back-pressure).
 */
import type { MountContext, MountHandler, TaskerApi } from '@tasker/orchestrator/api';
import type { EventRouter, RoutedEvent, RouterBackend } from '@tasker/router';

/** The events the feed carries. */
export const LIVE_EVENTS: readonly string[] = Object.freeze([
  'task.before_transition',
  'step.before_transition',
]);

/** Messages a slow reader may have queued before tapped events are dropped for it. */
export const MAX_QUEUED = 2_000;
/** Ids of tapped events remembered per stream until the audit reaches them. */
const MAX_EARLY = 20_000;

const encoder = new TextEncoder();

type Listener = (id: string, message: Uint8Array) => void;

/** The router tap, shared by the open streams of one dashboard. */
class LocalEvents {
  readonly #router: EventRouter;
  readonly #backend: RouterBackend;
  readonly #listeners = new Set<Listener>();
  #untap: (() => boolean) | undefined;

  constructor(router: EventRouter, name: string) {
    this.#router = router;
    this.#backend = { name, handle: (event) => this.#deliver(event) };
  }

  /** Adds a listener (tapping the router for the first); returns the function that removes it. */
  listen(listener: Listener): () => void {
    this.#listeners.add(listener);
    if (this.#untap === undefined) this.#untap = this.#router.tap(this.#backend, { events: LIVE_EVENTS });
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0 && this.#untap !== undefined) {
        this.#untap();
        this.#untap = undefined;
      }
    };
  }

  #deliver(event: RoutedEvent): void {
    const payload = event.payload as { readonly taskId?: unknown };
    // One message for every stream, in the API stream's `data` shape; no `id:` line (see the top).
    const data = JSON.stringify({
      id: event.id,
      name: event.name,
      at: event.timestamp,
      task_id: typeof payload.taskId === 'string' ? payload.taskId : null,
      payload: event.payload,
    });
    const message = encoder.encode(`event: ${event.name}\ndata: ${data}\n\n`);
    for (const listener of this.#listeners) listener(event.id, message);
  }
}

/** The `id:` of one SSE message (text up to its blank line), if it has one. */
function messageId(message: string): string | undefined {
  const at = message.startsWith('id: ') ? 0 : message.indexOf('\nid: ');
  if (at < 0) return undefined;
  const from = at === 0 ? 4 : at + 5;
  const end = message.indexOf('\n', from);
  return message.slice(from, end < 0 ? undefined : end);
}

/** The audit stream with the tapped events merged in (see the top of the file). */
function merge(
  audit: ReadableStream<Uint8Array>,
  local: LocalEvents | undefined,
): ReadableStream<Uint8Array> {
  const reader = audit.getReader();
  const decoder = new TextDecoder();
  /** Ids sent from the tap that the audit has not reached yet, oldest first. */
  const early = new Set<string>();
  let buffer = '';
  let stop: () => void = () => {};
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (local === undefined) return;
        stop = local.listen((id, message) => {
          if ((controller.desiredSize ?? 0) < -MAX_QUEUED) return; // the audit will bring it
          if (early.size >= MAX_EARLY) early.delete(early.values().next().value as string);
          early.add(id);
          controller.enqueue(message);
        });
      },
      // Called when the reader has taken everything queued: the audit is read at its pace.
      async pull(controller) {
        let read: Awaited<ReturnType<typeof reader.read>>;
        try {
          read = await reader.read();
        } catch (error) {
          stop();
          controller.error(error);
          return;
        }
        if (read.done) {
          stop();
          controller.close();
          return;
        }
        buffer += decoder.decode(read.value, { stream: true });
        let out = '';
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const message = buffer.slice(0, end + 2);
          buffer = buffer.slice(end + 2);
          const id = messageId(message);
          out += id !== undefined && early.delete(id) ? `id: ${id}\n\n` : message;
        }
        if (out !== '') controller.enqueue(encoder.encode(out));
      },
      cancel(reason) {
        stop();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Headers of the API's request for its stream: the caller's credentials and resume point. */
function forwarded(request: Request): Headers {
  const headers = new Headers({ accept: 'text/event-stream' });
  for (const name of ['authorization', 'last-event-id']) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

/**
 * The mount handler of the live feed. It asks the API for its stream with the caller's own
 * credentials, so the API's authentication, owner scoping and `Last-Event-ID` checks apply
 * unchanged; a refusal (400, 401, 403, 503) is passed back as it is.
 */
export function liveFeedHandler(
  api: TaskerApi,
  router: EventRouter | undefined,
  tapName: string,
): MountHandler {
  const local = router === undefined ? undefined : new LocalEvents(router, tapName);
  return async (request: Request, context: MountContext) => {
    const url = new URL(`${api.prefix}/events/stream`, request.url);
    url.searchParams.set('events', LIVE_EVENTS.join(','));
    const upstream = await api.fetch(
      new Request(url, { headers: forwarded(request), signal: request.signal }),
    );
    if (upstream.status !== 200 || upstream.body === null) return upstream;
    return new Response(merge(upstream.body, context.owner === undefined ? local : undefined), {
      status: 200,
      headers: upstream.headers,
    });
  };
}
