import { createEventRouter, type RoutedEvent } from '@tasker/router';
import { EventEmitter } from 'node:events';
import { runGroup } from './harness';
let sink = 0;
const payload = { taskId: 'task-1', namespace: 'shop', taskName: 'checkout', version: '1.0.0' };
const mk = (now?: () => number) => createEventRouter({ now, backends: {
    trace: { name: 'trace', handle: (_e: RoutedEvent) => void sink++ },
    metrics: { name: 'metrics', handle: (_e: RoutedEvent) => void sink++ } } });
const a = mk(); const b = mk(() => 0);
const emitter = new EventEmitter();
emitter.on('task.start_requested', (_p: unknown) => void sink++);
emitter.on('task.start_requested', (_p: unknown) => void sink++);
const res = runGroup([
 { name: 'default clock', run: (n) => { for (let i = 0; i < n; i++) a.route('task.start_requested', payload); } },
 { name: 'zero clock', run: (n) => { for (let i = 0; i < n; i++) b.route('task.start_requested', payload); } },
 { name: 'supplied', run: (n) => { for (let i = 0; i < n; i++) a.route('task.start_requested', payload, 1); } },
 { name: 'emit', run: (n) => { for (let i = 0; i < n; i++) emitter.emit('task.start_requested', payload); } },
], { iterations: 1_000_000, rounds: 9 });
for (const x of res) console.log(x.name, x.medianNsPerOp);
