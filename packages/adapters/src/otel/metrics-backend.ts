import type { RouterBackend } from '@tasker/router';
import type { MetricsBackendStats } from '../shared/lifecycle-metrics';

/** A router backend that records lifecycle events as metrics. */
export interface MetricsBackend extends RouterBackend {
  /** What it recorded, ignored and dropped. */
  stats(): MetricsBackendStats;
}
