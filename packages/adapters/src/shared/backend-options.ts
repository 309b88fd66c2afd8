import { z } from 'zod';
import { DEFAULT_LABEL_SET_LIMIT } from './lifecycle-metrics';

/** Options every metrics backend shares (zod shapes; each factory adds its own). */
export const metricsBackendShape = {
  name: z.string().min(1, 'expected a non-empty backend name').default('metrics'),
  labelSetLimit: z
    .number()
    .int('expected an integer')
    .min(1, 'expected at least 1')
    .default(DEFAULT_LABEL_SET_LIMIT),
  warn: z.custom<(message: string) => void>((v) => typeof v === 'function', 'expected a function').optional(),
};

/** Histogram buckets: finite, strictly increasing upper bounds. */
export const bucketsSchema = z
  .array(z.number().finite('expected finite bucket bounds'))
  .min(1, 'expected at least one bucket')
  .refine(
    (b) => b.every((v, i) => i === 0 || v > (b[i - 1] as number)),
    'expected strictly increasing bounds',
  );

/** Step attempts: 5 ms to 5 minutes. */
export const DEFAULT_STEP_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
]);

/** Whole tasks: 50 ms to an hour. */
export const DEFAULT_TASK_BUCKETS: readonly number[] = Object.freeze([
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
]);
