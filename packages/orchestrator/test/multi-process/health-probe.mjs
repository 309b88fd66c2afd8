// Asks `<base>/health/live` (TASKER_MP_BASE) every 50 ms and prints `latency\t<ms>` for each
// answer, from its own process, so that the test's own work does not delay the probe. It
// prints `ready` first and runs until SIGTERM.
const base = process.env.TASKER_MP_BASE;
let running = true;
process.once('SIGTERM', () => {
  running = false;
});
process.stdout.write('ready\n');
while (running) {
  const started = performance.now();
  const r = await fetch(`${base}/health/live`);
  await r.arrayBuffer();
  process.stdout.write(`latency\t${r.status}\t${(performance.now() - started).toFixed(1)}\n`);
  await new Promise((resolve) => setTimeout(resolve, 50));
}
