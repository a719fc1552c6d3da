// Live logs, the provider side: a TimeXtender execution writes a 200,000-line log over 60 s of simulated
// time (in bursts); Provider.liveLog reads it after each status read, every GAP_MS of simulated time. Prints
// the lag from a line being written (simulator truth) to being handed over (median, p95, against the gap),
// the log requests per status read, and the peak RSS of this process. The simulator's clock is frozen and
// moved by hand, so the lag is in simulated time; run it with each Node (node bench/live-logs.mjs).
// Needs lib/ (node scripts/build.mjs lib).
import { libImport } from './lib.mjs';

const LINES = Number(process.env.BENCH_LIVE_LINES ?? 200_000);
const DURATION_MS = 60_000;
const GAP_MS = Number(process.env.BENCH_LIVE_GAP_MS ?? 5_000);
const KEY = 'txk_BenchLiveLogsContributorKey0001';
const WS = 'finance';

const { startSimulator } = await libImport('simulator/index.js');
const { HttpClient } = await libImport('core/http/index.js');
const { parseSettings } = await libImport('providers/registry.js');
const { systemClock } = await libImport('core/clock.js');
const { loadProvider } = await libImport('providers/registry.js');

const sim = await startSimulator({ seed: 9, timeScale: 0 });
sim.tdp.addUser('bench');
sim.tdp.addKey('bench', KEY);
sim.tdp.addWorkspace(WS, { name: 'Finance', access: { bench: 'contributor' } });
sim.tdp.addTask(WS, { taskType: 'Package', taskId: 1010, taskName: 'Load Sales Fact' });
sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: DURATION_MS, logLineCount: LINES, logShape: { bursts: 40, longLineChars: 2000 } });

const values = { platform: 'timextender', 'base-url': sim.url, 'api-key': KEY, workspace: WS, task: 'Package/1010' };
const { settings } = parseSettings((name) => values[name]);
const module = await loadProvider('timextender');
const http = new HttpClient({ baseUrl: sim.url, headers: module.authHeaders(KEY), secrets: [KEY] });
const provider = module.create({ http, settings, ciContext: { system: 'cli', runId: '1', attempt: '1' }, log: { info() {}, warn() {}, debug() {} }, clock: systemClock, signal: new AbortController().signal });
const target = await provider.resolve(settings.targets[0]);
const baseline = await provider.baseline(target);
await provider.trigger(target);
let found;
while (!found) {
  const f = await provider.find(target, baseline);
  if (f.kind === 'found') found = f.handle;
}
const truth = sim.tdp.logTruth(WS, 'Package', 1010, Number(found.runId));
const rssBefore = process.memoryUsage().rss;
let peak = rssBefore;
const lags = [];
let cursor;
let statusReads = 0;
let index = 0;
const logRequests = () => sim.journal.count({ method: 'GET', path: /\/log$/ });
for (;;) {
  const observation = await provider.observe(target, found);
  statusReads++;
  const now = sim.clock.now();
  const read = await provider.liveLog(target, found, observation, cursor, () => {
    lags.push(now - truth.writtenAtMs(index++));
    if ((index & 4095) === 0) peak = Math.max(peak, process.memoryUsage().rss);
  });
  cursor = read.cursor;
  peak = Math.max(peak, process.memoryUsage().rss);
  if (['succeeded', 'failed', 'cancelled'].includes(observation.state)) break;
  sim.clock.advance(GAP_MS);
}
lags.sort((a, b) => a - b);
const pct = (p) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))];
const mib = (b) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
console.log(`node ${process.versions.node}: ${index} of ${truth.count} lines handed over in ${statusReads} status reads, gap ${GAP_MS} ms (simulated)`);
console.log(`lag (simulated): median ${pct(50)} ms, p95 ${pct(95)} ms, max ${lags[lags.length - 1]} ms (target: median <= gap)`);
console.log(`log requests: ${logRequests()} for ${statusReads} status reads (target: <= 1 per status read)`);
console.log(`RSS: ${mib(rssBefore)} before, peak ${mib(peak)} (process total, simulator included; target <= 120 MiB)`);
await http.close();
await sim.close();
