import type { MetricType } from './metric-name';

/** What every instrument tells about itself. */
export interface InstrumentInfo<L extends string> {
  readonly type: MetricType;
  readonly name: string;
  readonly help: string;
  readonly unit: string | undefined;
  readonly labelNames: readonly L[];
}

/** What a counter update must be. */
export const COUNTER_VALUE = 'a finite number ≥ 0 (counters only go up)';
/** What a gauge or histogram update must be. */
export const FINITE_VALUE = 'a finite number';
