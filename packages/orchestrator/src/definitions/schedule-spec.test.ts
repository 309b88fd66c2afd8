import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isTaskerError } from '../errors';
import { defineTask, type TaskDefinitionInput } from './define-task';
import { parseTaskDefinition } from './load-definition';
import { cronProblem } from './schedule-spec';

const noop = async () => null;
const base = {
  namespace: 'reports',
  name: 'nightly',
  version: '1.0.0',
  contextSchema: z.strictObject({ region: z.string() }),
  steps: [{ name: 'build', handler: noop }],
} satisfies TaskDefinitionInput;

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isTaskerError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  throw new Error('expected a throw');
}

describe('schedules of a definition', () => {
  it('applies the defaults and names a single schedule after its task', () => {
    const def = defineTask({ ...base, schedules: [{ cron: '0 2 * * *', context: { region: 'eu' } }] });
    expect(def.schedules).toEqual([
      {
        name: 'reports.nightly',
        cron: '0 2 * * *',
        timezone: 'UTC',
        context: { region: 'eu' },
        catchUp: 'latest',
        catchUpLimit: 100,
      },
    ]);
    expect(Object.isFrozen(def.schedules[0])).toBe(true);
    expect(defineTask({ ...base, contextSchema: undefined }).schedules).toEqual([]);
  });

  it('takes a seconds field, a time zone, a catch-up policy and its bound', () => {
    const def = defineTask({
      ...base,
      schedules: [
        {
          name: 'every-second',
          cron: '* * * * * *',
          timezone: 'Europe/Berlin',
          context: { region: 'eu' },
          catchUp: 'all',
          catchUpLimit: 5,
        },
      ],
    });
    expect(def.schedules[0]).toMatchObject({ timezone: 'Europe/Berlin', catchUp: 'all', catchUpLimit: 5 });
  });

  it('refuses a bad field, naming it', () => {
    const bad = (schedule: Record<string, unknown>) =>
      messageOf(() =>
        defineTask({ ...base, schedules: [{ context: { region: 'eu' }, ...schedule } as never] }),
      );
    expect(bad({ cron: '61 * * * *' })).toMatch(
      /^DEFINITION_INVALID: .*schedules\.0\.cron: expected a cron expression of 5 or 6 fields: .*minute/,
    );
    expect(bad({ cron: '* * * * * * 2030' })).toMatch(/schedules\.0\.cron: expected a cron expression/);
    expect(bad({ cron: '0 0 31 2 *' })).toMatch(/schedules\.0\.cron: expected a cron expression that fires/);
    expect(bad({ cron: '* * * * *', timezone: 'Mars/Olympus' })).toMatch(
      /schedules\.0\.timezone: expected an IANA time zone/,
    );
    expect(bad({ cron: '* * * * *', catchUp: 'some' })).toMatch(
      /schedules\.0\.catchUp: expected "none", "latest" or "all", received "some"/,
    );
    expect(bad({ cron: '* * * * *', catchUpLimit: 0 })).toMatch(
      /schedules\.0\.catchUpLimit: expected an integer from 1 to 10000, received 0/,
    );
    expect(bad({ cron: '* * * * *', every: 5 })).toMatch(/schedules\.0\.every: unknown field/);
    expect(bad({ cron: '* * * * *', name: 'no spaces' })).toMatch(
      /schedules\.0\.name: expected a schedule name/,
    );
    expect(bad({ cron: '* * * * *', context: { region: 7 } })).toMatch(
      /schedules\.0\.context\.region: .*expected string, received number/,
    );
  });

  it('names each of several schedules, once', () => {
    const ctx = { region: 'eu' };
    expect(
      messageOf(() =>
        defineTask({
          ...base,
          schedules: [
            { cron: '* * * * *', context: ctx },
            { cron: '0 * * * *', context: ctx },
          ],
        }),
      ),
    ).toMatch(/schedules\.0\.name: expected a name/);
    expect(
      messageOf(() =>
        defineTask({
          ...base,
          schedules: [
            { name: 'a', cron: '* * * * *', context: ctx },
            { name: 'a', cron: '0 * * * *', context: ctx },
          ],
        }),
      ),
    ).toMatch(/schedules\.1\.name: schedule "a" is defined twice/);
  });

  it('tells why an expression cannot be a schedule', () => {
    expect(cronProblem('*/5 * * * *', 'UTC')).toBeUndefined();
    expect(cronProblem('@daily', 'America/New_York')).toBeUndefined();
    expect(cronProblem('not cron', 'UTC')).toMatch(/^expected a cron expression of 5 or 6 fields/);
  });
});

describe('schedules in YAML', () => {
  const yaml = (schedules: string) => `
name: nightly
namespace_name: reports
version: 2.0.0
schema: { type: object, required: [region], properties: { region: { type: string } } }
step_templates:
  - name: build
    handler_class: Build
schedules:
${schedules}`;
  const handlers = { Build: noop };

  it('maps the snake_case keys', () => {
    const def = parseTaskDefinition(
      yaml(`  - name: nightly-eu
    cron: "0 30 2 * * *"
    timezone: Europe/Berlin
    context: { region: eu }
    catch_up: all
    catch_up_limit: 7`),
      { handlers },
    );
    expect(def.schedules).toEqual([
      {
        name: 'nightly-eu',
        cron: '0 30 2 * * *',
        timezone: 'Europe/Berlin',
        context: { region: 'eu' },
        catchUp: 'all',
        catchUpLimit: 7,
      },
    ]);
  });

  it('refuses a bad field in the file, naming it as written', () => {
    const message = (s: string) =>
      messageOf(() => parseTaskDefinition(yaml(s), { handlers, source: 'n.yaml' }));
    expect(message('  - { cron: "0 25 * * *", context: { region: eu } }')).toMatch(
      /in n\.yaml: schedules\.0\.cron: expected a cron expression of 5 or 6 fields: .*hour: 25/,
    );
    expect(message('  - { cron: "@hourly", catch_up: never, context: { region: eu } }')).toMatch(
      /schedules\.0\.catch_up: expected "none", "latest" or "all"/,
    );
    expect(message('  - { cron: "@hourly", context: {} }')).toMatch(
      /schedules\.0\.context\.region: is required/,
    );
  });
});
