/**
 * The Trends page: throughput, error rate and step-duration percentiles over 15 minutes, an hour
 * or a day, charted from the dashboard's history of the native metrics; the API's analytics for
 * the same span as figures; and the slowest steps. It reloads every few seconds while open.
 */
import { useEffect } from 'preact/hooks';
import { Loaded } from './loaded';
import { numberFormat as number, TrendChart } from './trend-chart';
import { type History, loadTrends, RANGES, type SlowStep, type TrendRange, type Trends } from './trends-data';
import './trends.css';

/** How often an open page reads again. */
const REFRESH_MS = 5_000;

const perSecond = (v: number) => `${number.format(v)} /s`;
const percent = (v: number) => `${number.format(v * 100)} %`;
const millis = (v: number) => (v >= 1000 ? `${number.format(v / 1000)} s` : `${number.format(v)} ms`);
const span = (ms: number) => (ms >= 60_000 ? `${number.format(ms / 60_000)} min` : millis(ms));
const orDash = (v: number | null | undefined, f: (v: number) => string) =>
  v === null || v === undefined ? '–' : f(v);

function RangePicker(props: { readonly range: TrendRange }) {
  return (
    <nav class="ranges" aria-label="Range">
      {RANGES.map((r) => (
        <a
          key={r.range}
          href={`#trends?range=${r.range}`}
          aria-current={r.range === props.range ? 'true' : undefined}
        >
          {r.label}
        </a>
      ))}
    </nav>
  );
}

function Charts(props: { readonly history: History }) {
  const { points, totals } = props.history;
  return (
    <>
      <p class="summary" data-totals>
        Over the range: {number.format(totals.tasks_completed)} tasks completed,{' '}
        {number.format(totals.tasks_failed)} failed; {number.format(totals.steps_completed)} step attempts
        completed, {number.format(totals.steps_failed)} failed ({orDash(totals.step_error_rate, percent)}),{' '}
        {number.format(totals.retries)} retries; step durations p50 {orDash(totals.step_p50_ms, millis)}, p95{' '}
        {orDash(totals.step_p95_ms, millis)}, p99 {orDash(totals.step_p99_ms, millis)}.
      </p>
      <div class="trend-grid">
        <TrendChart
          id="throughput"
          title="Throughput"
          format={perSecond}
          time={points.time}
          series={[
            { label: 'Steps completed', colour: '--series-1', values: points.steps_per_s },
            { label: 'Tasks completed', colour: '--series-2', values: points.tasks_per_s },
            { label: 'Retries', colour: '--series-3', values: points.retries_per_s },
          ]}
        />
        <TrendChart
          id="errors"
          title="Error rate (failed step attempts)"
          format={percent}
          time={points.time}
          series={[{ label: 'Failed attempts', colour: '--series-error', values: points.step_error_rate }]}
        />
        <TrendChart
          id="durations"
          title="Step duration percentiles"
          format={millis}
          time={points.time}
          series={[
            { label: 'p50', colour: '--series-1', values: points.step_p50_ms },
            { label: 'p95', colour: '--series-2', values: points.step_p95_ms },
            { label: 'p99', colour: '--series-3', values: points.step_p99_ms },
          ]}
        />
      </div>
    </>
  );
}

function SlowSteps(props: { readonly steps: readonly SlowStep[]; readonly hours: number }) {
  return (
    <section class="panel" aria-labelledby="slowest">
      <h2 id="slowest">Slowest steps, last {props.hours === 1 ? 'hour' : `${props.hours} hours`}</h2>
      {props.steps.length === 0 ? (
        <p class="status">No step finished in this span.</p>
      ) : (
        <table class="figures" data-slowest>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Step</th>
              <th scope="col">Runs</th>
              <th scope="col">Average</th>
              <th scope="col">p95</th>
              <th scope="col">Max</th>
              <th scope="col">Attempts</th>
              <th scope="col">Errors</th>
            </tr>
          </thead>
          <tbody>
            {props.steps.map((s) => (
              <tr key={`${s.namespace}.${s.task_name}.${s.version}.${s.step_name}`} data-step={s.step_name}>
                <td>
                  {s.namespace}.{s.task_name} {s.version}
                </td>
                <th scope="row">{s.step_name}</th>
                <td>{s.executions}</td>
                <td>{millis(s.avg_duration_ms)}</td>
                <td>{millis(s.p95_duration_ms)}</td>
                <td>{millis(s.max_duration_ms)}</td>
                <td>{number.format(s.avg_attempts)}</td>
                <td>{s.error_count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Analytics(props: { readonly trends: Trends }) {
  const p = props.trends.performance;
  if (p === undefined) return null;
  return (
    <section class="panel" aria-labelledby="analytics">
      <h2 id="analytics">Tasks, last {p.window === '1h' ? 'hour' : '24 hours'} (from the database)</h2>
      <dl class="stats" data-performance>
        <dt>Created</dt>
        <dd>{p.tasks.created}</dd>
        <dt>Completed</dt>
        <dd>{p.tasks.completed}</dd>
        <dt>Failed</dt>
        <dd>{p.tasks.failed}</dd>
        <dt>Completion rate</dt>
        <dd>{orDash(p.tasks.completion_rate, percent)}</dd>
        <dt>Throughput</dt>
        <dd>{number.format(p.throughput_per_hour)} /h</dd>
        <dt>Task p50 / p95</dt>
        <dd>
          {orDash(p.task_duration_ms.p50, millis)} / {orDash(p.task_duration_ms.p95, millis)}
        </dd>
        <dt>Steps completed / failed / retried</dt>
        <dd>
          {p.steps.completed} / {p.steps.failed} / {p.steps.retried}
        </dd>
      </dl>
    </section>
  );
}

function TrendsView(props: { readonly trends: Trends; readonly reload: () => void }) {
  const { trends, reload } = props;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const history = trends.history;
  const long = RANGES.find((r) => r.range === trends.range)?.long ?? '';
  return (
    <>
      {history.registry ? (
        <>
          <p class="summary">
            {long[0]?.toUpperCase()}
            {long.slice(1)}, one point per {span(history.resolution_ms)}, from the native metrics sampled
            every {span(history.sample_ms)}.
          </p>
          {history.metrics.missing.length === 0 ? null : (
            <p class="notice" role="note">
              <span aria-hidden="true">ⓘ </span>
              The registry has no {history.metrics.missing.join(', ')}: record Tasker's events into it with
              the native metrics backend (<code>createNativeMetricsBackend</code> of{' '}
              <code>@tasker/adapters/native</code>).
            </p>
          )}
          <Charts history={history} />
        </>
      ) : (
        <p class="notice" role="note" data-no-history>
          <span aria-hidden="true">ⓘ </span>
          The charts over time need the history of the native metrics: give the dashboard the registry your
          native metrics backend records into, <code>createTaskerDashboard(&#123; api, registry &#125;)</code>
          . Below, what the database's analytics give.
        </p>
      )}
      <Analytics trends={trends} />
      <SlowSteps steps={trends.slowest} hours={trends.range === '24h' ? 24 : 1} />
    </>
  );
}

export function TrendsPage(props: { readonly range: TrendRange }) {
  const { range } = props;
  return (
    <>
      <div class="trends-head">
        <h1>Trends</h1>
        <RangePicker range={range} />
      </div>
      {/* Keyed by range: a reload still on its way for the range before lands nowhere. */}
      <Loaded key={range} load={() => loadTrends(range)} keyOf={`trends:${range}`}>
        {(trends, reload) => <TrendsView trends={trends} reload={reload} />}
      </Loaded>
    </>
  );
}
