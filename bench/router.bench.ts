/**
 * EventRouter.route against node:events, in one process (issue #2).
 *
 * - Routing one event to two no-op backends, against `EventEmitter.emit` with two no-op
 *   listeners. Target: route ≤ 2 × emit. Five ways: the router reads its clock for each event
 *   and makes the event id; the router's clock is read once per publish of a transition's three
 *   events (`router.now()`, issue #16) and the router makes the ids, or the publisher passes
 *   them; the publisher passes the
 *   time (the router makes the id); the publisher passes the time and the id, as the
 *   orchestrator does (issue #11). Every routed event carries a real timestamp.
 * - The clock reads alone: `Date.now`, and the monotonic `performance.now` and
 *   `process.hrtime.bigint`, the candidates for a cheaper source anchored to wall time.
 * - An event that maps to nothing, against one `Map.get` hit. Target: ≤ 2 × Map.get.
 *
 * Both sides do the same work per delivery (bump a counter), with the same payload object.
 */
import { EventEmitter } from 'node:events';
import { createEventRouter, type RoutedEvent } from '@tasker/router';
import { ratio, runGroup, writeReport } from './harness';

const payload = { taskId: 'task-1', namespace: 'shop', taskName: 'checkout', version: '1.0.0' };
const transition = { ...payload, fromState: 'pending', toState: 'in_progress' };

let sink = 0;
const router = createEventRouter({
  // The default table: task.start_requested goes to trace and metrics; task.before_transition
  // has no mapping.
  backends: {
    trace: { name: 'trace', handle: (_e: RoutedEvent) => void sink++ },
    metrics: { name: 'metrics', handle: (_e: RoutedEvent) => void sink++ },
  },
});
if (router.mappingFor('task.start_requested')?.backends.length !== 2) throw new Error('expected 2 backends');
if (router.mappingFor('task.before_transition') !== undefined) throw new Error('expected no mapping');

const emitter = new EventEmitter();
emitter.on('task.start_requested', (_p: unknown) => void sink++);
emitter.on('task.start_requested', (_p: unknown) => void sink++);

const map = new Map<string, number>();
for (const [i, name] of router.mappings().entries()) map.set(name.eventName, i);
map.set('task.before_transition', -1);
let found = 0;
// Ids as the orchestrator passes them (`<transition id>.<n>`), made before timing.
const ids = Array.from({ length: 1024 + 2 }, (_, i) => `${1_000_000 + i}.0`);

const ITERATIONS = 1_000_000;
const ROUNDS = 15;

let clockSink = 0;
// Three events per publish, as a transition publishes (e.g. task.start_requested,
// workflow.task_started, observability.task.enqueue); a remainder of n is routed one by one.
const PER_PUBLISH = 3;
const delivery = runGroup(
  [
    {
      name: 'EventRouter.route (2 no-op backends, router reads its clock)',
      run: (n) => {
        for (let i = 0; i < n; i++) router.route('task.start_requested', payload);
      },
    },
    {
      name: 'EventRouter.route (2 no-op backends, router clock read once per publish of 3 events)',
      run: (n) => {
        const publishes = Math.floor(n / PER_PUBLISH);
        for (let p = 0; p < publishes; p++) {
          const at = router.now();
          router.route('task.start_requested', payload, at);
          router.route('task.start_requested', payload, at);
          router.route('task.start_requested', payload, at);
        }
        for (let i = publishes * PER_PUBLISH; i < n; i++) router.route('task.start_requested', payload);
      },
    },
    {
      name: 'EventRouter.route (2 no-op backends, router clock read once per publish of 3 events, publisher passes the ids)',
      run: (n) => {
        const publishes = Math.floor(n / PER_PUBLISH);
        for (let p = 0; p < publishes; p++) {
          const at = router.now();
          const k = (p * PER_PUBLISH) & 1023;
          router.route('task.start_requested', payload, at, ids[k]);
          router.route('task.start_requested', payload, at, ids[k + 1]);
          router.route('task.start_requested', payload, at, ids[k + 2]);
        }
        for (let i = publishes * PER_PUBLISH; i < n; i++) router.route('task.start_requested', payload);
      },
    },
    {
      name: 'EventRouter.route (2 no-op backends, publisher passes the time, router makes the id)',
      run: (n) => {
        for (let i = 0; i < n; i++) router.route('task.start_requested', payload, 1_767_268_800_000);
      },
    },
    {
      name: 'EventRouter.route (2 no-op backends, publisher passes the time and the id)',
      run: (n) => {
        for (let i = 0; i < n; i++)
          router.route('task.start_requested', payload, 1_767_268_800_000, ids[i & 1023]);
      },
    },
    {
      name: 'Date.now (the clock read alone)',
      run: (n) => {
        for (let i = 0; i < n; i++) clockSink += Date.now() & 1;
      },
    },
    {
      name: 'performance.now (a monotonic clock read alone)',
      run: (n) => {
        for (let i = 0; i < n; i++) clockSink += performance.now() > 0 ? 1 : 0;
      },
    },
    {
      name: 'process.hrtime.bigint (a monotonic clock read alone)',
      run: (n) => {
        for (let i = 0; i < n; i++) clockSink += process.hrtime.bigint() > 0n ? 1 : 0;
      },
    },
    {
      name: 'EventEmitter.emit (2 no-op listeners)',
      run: (n) => {
        for (let i = 0; i < n; i++) emitter.emit('task.start_requested', payload);
      },
    },
  ],
  { iterations: ITERATIONS, rounds: ROUNDS },
);

const unmapped = runGroup(
  [
    {
      name: 'EventRouter.route (event mapped to nothing)',
      run: (n) => {
        for (let i = 0; i < n; i++) router.route('task.before_transition', transition);
      },
    },
    {
      name: 'Map.get (hit)',
      run: (n) => {
        for (let i = 0; i < n; i++) found += map.get('task.before_transition') as number;
      },
    },
  ],
  { iterations: ITERATIONS * 5, rounds: ROUNDS },
);

if (sink === 0 || found === 0 || clockSink < 0) throw new Error('benchmark bodies did not run');

const ROUTER_CLOCK = 'EventRouter.route (2 no-op backends, router reads its clock)';
const PER_PUBLISH_CLOCK =
  'EventRouter.route (2 no-op backends, router clock read once per publish of 3 events)';
const PER_PUBLISH_CLOCK_IDS =
  'EventRouter.route (2 no-op backends, router clock read once per publish of 3 events, publisher passes the ids)';
const TIME_PASSED = 'EventRouter.route (2 no-op backends, publisher passes the time, router makes the id)';
const TIME_AND_ID_PASSED = 'EventRouter.route (2 no-op backends, publisher passes the time and the id)';
const EMIT = 'EventEmitter.emit (2 no-op listeners)';
for (const name of [
  ROUTER_CLOCK,
  PER_PUBLISH_CLOCK,
  PER_PUBLISH_CLOCK_IDS,
  TIME_PASSED,
  TIME_AND_ID_PASSED,
  EMIT,
]) {
  if (!delivery.some((c) => c.name === name)) throw new Error(`no case named ${name}`);
}

writeReport({
  subject: 'router',
  description:
    'EventRouter.route vs node:events EventEmitter.emit and Map.get, same process, interleaved rounds',
  groups: [
    {
      name: 'route to two no-op backends',
      options: { iterations: ITERATIONS, rounds: ROUNDS },
      cases: delivery,
    },
    {
      name: 'event mapped to nothing',
      options: { iterations: ITERATIONS * 5, rounds: ROUNDS },
      cases: unmapped,
    },
  ],
  ratios: [
    ratio(delivery, 'route(2 backends, router clock) / emit(2 listeners)', ROUTER_CLOCK, EMIT, 2),
    ratio(
      delivery,
      'route(2 backends, router clock once per 3-event publish) / emit(2 listeners)',
      PER_PUBLISH_CLOCK,
      EMIT,
      2,
    ),
    ratio(
      delivery,
      'route(2 backends, router clock once per 3-event publish, ids passed in) / emit(2 listeners)',
      PER_PUBLISH_CLOCK_IDS,
      EMIT,
      2,
    ),
    ratio(delivery, 'route(2 backends, time passed in, id made) / emit(2 listeners)', TIME_PASSED, EMIT, 2),
    ratio(
      delivery,
      'route(2 backends, time and id passed in) / emit(2 listeners)',
      TIME_AND_ID_PASSED,
      EMIT,
      2,
    ),
    ratio(delivery, 'Date.now / emit(2 listeners)', 'Date.now (the clock read alone)', EMIT),
    ratio(
      delivery,
      'performance.now / emit(2 listeners)',
      'performance.now (a monotonic clock read alone)',
      EMIT,
    ),
    ratio(
      delivery,
      'process.hrtime.bigint / emit(2 listeners)',
      'process.hrtime.bigint (a monotonic clock read alone)',
      EMIT,
    ),
    ratio(unmapped, 'route(mapped to nothing) / Map.get', unmapped[0]!.name, unmapped[1]!.name, 2),
  ],
  notes: [
    'A routed event carries a timestamp. Without one from the publisher the router reads Date.now(), whose cost on this machine is measured alone in the same group.',
    'The "once per publish" case reads router.now() (the same Date.now) once for three events, as a publisher of one transition\'s events does, and passes it to each route(); the router makes the ids. Its ns/op is per event. Its second form also passes ids made before timing, as the orchestrator does.',
    'A cheaper monotonic source anchored to wall time (issue #16) would need a clock read well under emit; performance.now and process.hrtime.bigint are measured alone in the same group to show what the machine offers.',
    'The orchestrator passes the time it recorded for each transition and an id derived from the transition, so its events take the "publisher passes the time and the id" path.',
    'Without an id from the publisher the router makes one (a per-router random prefix and a counter); that cost is the difference between the two "publisher passes the time" cases.',
  ],
});
