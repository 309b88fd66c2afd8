import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { describe, it } from 'vitest';

/** True when `path` exists and is executable. */
export function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** True when Debian's python3 can import prometheus_client (package python3-prometheus-client). */
export function pythonPrometheusClient(): boolean {
  if (!executable('/usr/bin/python3')) return false;
  return spawnSync('/usr/bin/python3', ['-c', 'import prometheus_client'], { stdio: 'ignore' }).status === 0;
}

/**
 * `describe` when `available`; otherwise the block is skipped with a visible message on a
 * developer machine, and fails in CI (TASKER_CI=1), where a missing tool is an error.
 */
export function describeWithTool(title: string, tool: string, available: boolean, body: () => void): void {
  if (available) {
    describe(title, body);
    return;
  }
  const why = `${tool} is not installed (Debian: see .ci/debian-packages)`;
  if (process.env.TASKER_CI === '1') {
    describe(title, () => {
      it(`needs ${tool}`, () => {
        throw new Error(`${why}; CI must install it`);
      });
    });
    return;
  }
  console.warn(`[skipped] ${title}: ${why}`);
  describe.skip(title, body);
}
