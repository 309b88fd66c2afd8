/**
 * The OpenTelemetry API cannot choose a span's id, and a span cannot be ended by another
 * process. A task's root span must nevertheless carry the id reserved when the task was
 * submitted, because step spans in every process already name it as their parent. So the
 * process that finalises a task starts the root span then, through this generator, installed
 * in the SDK as its `idGenerator`: for the one synchronous `startSpan` call that emits a root
 * span it hands out the reserved ids; otherwise it generates random ids as the SDK's default
 * generator does.
 */
import { randomFillSync } from 'node:crypto';

/** The SDK's `IdGenerator` interface (`@opentelemetry/sdk-trace-base`), by shape. */
export interface IdGenerator {
  /** 32 lowercase hex characters, not all zero. */
  generateTraceId(): string;
  /** 16 lowercase hex characters, not all zero. */
  generateSpanId(): string;
}

/** An `IdGenerator` that can hand out reserved ids for one call. */
export interface TaskerIdGenerator extends IdGenerator {
  /**
   * Runs `start` (a synchronous `tracer.startSpan`) so that the span it starts gets `spanId`,
   * and `traceId` if the span is a root. Returns what `start` returned and whether the ids
   * were taken (false when this generator is not the one the tracer's SDK uses).
   */
  withIds<T>(traceId: string, spanId: string, start: () => T): { readonly value: T; readonly used: boolean };
}

const TRACE_BYTES = 16;
const SPAN_BYTES = 8;

function allZero(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Random ids from a pool refilled in blocks (one `randomFillSync` per 256 ids). */
class RandomIds {
  readonly #pool = Buffer.alloc(4096);
  #offset = this.#pool.length;

  hex(bytes: number): string {
    for (;;) {
      if (this.#offset + bytes > this.#pool.length) {
        randomFillSync(this.#pool);
        this.#offset = 0;
      }
      const start = this.#offset;
      this.#offset += bytes;
      // An all-zero id is invalid; its chance is 2^-64 or less, but it costs a few comparisons.
      if (!allZero(this.#pool, start, start + bytes)) return this.#pool.toString('hex', start, start + bytes);
    }
  }
}

/**
 * Makes the generator to pass to your tracer provider (`idGenerator`) and to
 * `createTaskerTracing` (`idGenerator`): both must hold the same object.
 *
 * @example
 * ```ts
 * import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
 * import { createTaskerIdGenerator, createTaskerTracing } from '@tasker/adapters/otel';
 *
 * const idGenerator = createTaskerIdGenerator();
 * const provider = new NodeTracerProvider({ idGenerator, spanProcessors: [processor] });
 * provider.register();
 * const tracing = createTaskerTracing({ tracer: provider.getTracer('tasker'), idGenerator });
 * ```
 */
export function createTaskerIdGenerator(fallback?: IdGenerator): TaskerIdGenerator {
  const random = new RandomIds();
  let reservedTrace: string | undefined;
  let reservedSpan: string | undefined;
  let used = false;
  return {
    generateTraceId() {
      if (reservedTrace !== undefined) {
        const id = reservedTrace;
        reservedTrace = undefined;
        return id;
      }
      return fallback?.generateTraceId() ?? random.hex(TRACE_BYTES);
    },
    generateSpanId() {
      if (reservedSpan !== undefined) {
        const id = reservedSpan;
        reservedSpan = undefined;
        used = true;
        return id;
      }
      return fallback?.generateSpanId() ?? random.hex(SPAN_BYTES);
    },
    withIds(traceId, spanId, start) {
      reservedTrace = traceId;
      reservedSpan = spanId;
      used = false;
      try {
        const value = start();
        return { value, used };
      } finally {
        reservedTrace = undefined;
        reservedSpan = undefined;
        used = false;
      }
    },
  };
}

/** Random ids without a generator object: for reserving ids at submit. */
export function randomIds(): { traceId: () => string; spanId: () => string } {
  const random = new RandomIds();
  return { traceId: () => random.hex(TRACE_BYTES), spanId: () => random.hex(SPAN_BYTES) };
}
