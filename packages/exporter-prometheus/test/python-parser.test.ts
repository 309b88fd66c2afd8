import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { serialize } from '../src/serializer';
import { hostileRegistry } from './support/hostile-registry';
import { describeWithTool, pythonPrometheusClient } from './support/tools';

// Parses with Debian's python3-prometheus-client and prints every sample as JSON.
const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families as text_parse
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_parse
fmt = sys.argv[1]
parse = om_parse if fmt == 'openmetrics' else text_parse
out = []
for family in parse(sys.stdin.read()):
    for s in family.samples:
        ex = None
        if getattr(s, 'exemplar', None) is not None:
            ex = {'labels': s.exemplar.labels, 'value': s.exemplar.value}
        out.append({'family': family.name, 'type': family.type, 'unit': getattr(family, 'unit', ''),
                    'name': s.name, 'labels': s.labels, 'value': repr(s.value), 'exemplar': ex})
print(json.dumps(out))
`;

interface Sample {
  family: string;
  type: string;
  unit: string;
  name: string;
  labels: Record<string, string>;
  value: string;
  exemplar: { labels: Record<string, string>; value: number } | null;
}

function parse(format: 'text' | 'openmetrics', body: string): Sample[] {
  const result = spawnSync('/usr/bin/python3', ['-c', PARSE, format], { input: body, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`the python parser refused the ${format} output:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Sample[];
}

describeWithTool(
  'python prometheus_client parsers',
  'python3-prometheus-client',
  pythonPrometheusClient(),
  () => {
    const registry = hostileRegistry(() => 1_700_000_000_000);
    const snapshot = registry.collect();

    it('reads our text output back to the same label values and numbers', () => {
      const samples = parse('text', serialize(snapshot, { format: 'text' }));
      const routes = samples.filter((s) => s.name === 'http_requests_total').map((s) => s.labels.route);
      expect(routes).toEqual([
        'plain',
        'say "hi"',
        'back\\slash',
        'two\nlines',
        'ünïcødé ✓ 日本',
        '',
        '\\"\n',
        '{}=,',
      ]);
      expect(samples.find((s) => s.name === 'job_duration_seconds_sum' && s.labels.queue === '')?.value).toBe(
        '5.0',
      );
      expect(samples.find((s) => s.name === 'queue_depth' && s.labels.queue === 'ünïcødé')?.value).toBe(
        '-1.5',
      );
      expect(samples.find((s) => s.name === 'jobs_processed_total')?.value).toBe('7.0');
    });

    it('reads our OpenMetrics output: families without _total, units, _created, exemplars', () => {
      const samples = parse('openmetrics', serialize(snapshot, { format: 'openmetrics' }));
      const counter = samples.filter((s) => s.family === 'http_requests');
      expect(counter.filter((s) => s.name === 'http_requests_total')).toHaveLength(8);
      expect(counter.filter((s) => s.name === 'http_requests_created')).toHaveLength(8);
      expect(
        counter.find((s) => s.labels.route === 'two\nlines' && s.name === 'http_requests_total')?.exemplar,
      ).toEqual({
        labels: { trace_id: 'trace-3' },
        value: 4,
      });
      const histogram = samples.filter((s) => s.family === 'job_duration_seconds');
      expect(histogram[0]?.unit).toBe('seconds');
      expect(histogram.find((s) => s.labels.le === '0.25' && s.labels.queue === 'mail "fast"')?.value).toBe(
        '10',
      );
      expect(
        histogram.find((s) => s.labels.le === '0.25' && s.labels.queue === 'mail "fast"')?.exemplar,
      ).toEqual({
        labels: { trace_id: 'slow-one' },
        value: 0.2,
      });
      expect(samples.find((s) => s.name === 'job_duration_seconds_created')?.value).toBe('1700000000');
    });

    it('refuses OpenMetrics without # EOF (the check can fail)', () => {
      const body = serialize(snapshot, { format: 'openmetrics' }).replace('# EOF\n', '');
      expect(() => parse('openmetrics', body)).toThrow(/refused/);
    });
  },
);
