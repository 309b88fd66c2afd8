import { z } from 'zod';
import { MetricsError } from './errors';
import { describeIssues, showValue } from './validation-message';

/** Options of `registry.collect()`. */
export interface CollectOptions {
  /**
   * End the snapshot with the registry's own counters (default false):
   * `tasker_metrics_series_folded_total`, `tasker_metrics_series_evicted_total` and
   * `tasker_metrics_updates_dropped_total`, per instrument (label `metric`). The `/metrics`
   * handler of `@tasker/exporter-prometheus` asks for them.
   */
  readonly selfMetrics?: boolean;
}

/** Options of `registry.collectInSlices()`. */
export interface CollectInSlicesOptions extends CollectOptions {
  /**
   * Longest time, in milliseconds, to collect before yielding to the event loop. Default 8. A
   * slice ends at the first clock check past it; checks come every 128 series.
   */
  readonly sliceMs?: number;
  /** Told the duration of each synchronous slice, in milliseconds (the first runs the hooks). */
  readonly onSlice?: (durationMs: number) => void;
}

const schema = z.strictObject(
  {
    sliceMs: z
      .number({ error: (i) => `expected a number of milliseconds, received ${showValue(i.input)}` })
      .positive({ error: 'expected a positive number of milliseconds' })
      .optional(),
    onSlice: z
      .custom<(durationMs: number) => void>((v) => typeof v === 'function', {
        error: (i) => `expected a function (durationMs) => void, received ${showValue(i.input)}`,
      })
      .optional(),
    selfMetrics: z
      .boolean({ error: (i) => `expected true or false, received ${showValue(i.input)}` })
      .optional(),
  },
  {
    error: (i) =>
      i.code === 'unrecognized_keys'
        ? undefined
        : `expected an options object, received ${showValue(i.input)}`,
  },
);

/**
 * Validates `collectInSlices` options and fills in defaults.
 *
 * @throws MetricsError `COLLECT_OPTIONS_INVALID`, naming each bad field.
 */
export function parseSliceOptions(input: CollectInSlicesOptions | undefined): {
  sliceMs: number;
  onSlice: ((durationMs: number) => void) | undefined;
  selfMetrics: boolean;
} {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    throw new MetricsError(
      'COLLECT_OPTIONS_INVALID',
      `Invalid collectInSlices options: ${describeIssues(result.error.issues)}`,
    );
  }
  return {
    sliceMs: result.data.sliceMs ?? 8,
    onSlice: result.data.onSlice,
    selfMetrics: result.data.selfMetrics ?? false,
  };
}
