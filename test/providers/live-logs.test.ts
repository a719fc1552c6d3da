/**
 * Live logs (`logs: live`), the provider side: Provider.liveLog against the simulator over loopback HTTP,
 * with the simulator's clock frozen and moved by hand, so "while the run runs" is exact.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import { outputBacklog } from '../../src/core/engine/live.js';
import { systemClock } from '../../src/core/clock.js';
import { HttpClient } from '../../src/core/http/index.js';
import type { LiveLine, LiveLogCursor, Observation, Provider, ProviderModule, ResolvedTarget, RunHandle } from '../../src/core/provider.js';
import { loadProvider, parseSettings } from '../../src/providers/registry.js';
import type { Simulator } from '../../src/simulator/index.js';
import { KEY, WS, tdpWorld } from '../helpers/tdp.js';
import { PIPELINE, PLX_KEY, plxWorld, type PlxWorld } from '../helpers/planasonix.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

interface Follower {
  provider: Provider;
  target: ResolvedTarget;
  handle: RunHandle;
  /** One status read, then one live read with its observation. */
  step(): Promise<{ observation: Observation; lines: LiveLine[]; notes: string[]; warnings: string[] }>;
  cursor(): LiveLogCursor | undefined;
}

async function providerFor(platform: 'timextender' | 'planasonix', baseUrl: string, apiKey: string, inputs: Record<string, string>): Promise<{ provider: Provider; target: ResolvedTarget }> {
  const values: Record<string, string> = { platform, 'base-url': baseUrl, 'api-key': apiKey, ...inputs };
  const { settings } = parseSettings((name) => values[name]);
  const module: ProviderModule = await loadProvider(platform);
  const http = new HttpClient({ baseUrl, headers: module.authHeaders(apiKey), secrets: [apiKey], retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10 }, requestTimeoutMs: 5000 });
  closers.push(async () => http.close());
  const provider = module.create({
    http,
    settings,
    ciContext: { system: 'cli', runId: '1', attempt: '1' },
    log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
    clock: systemClock,
    signal: new AbortController().signal,
    settleMs: 0,
  });
  return { provider, target: await provider.resolve(settings.targets[0]!) };
}

/** Triggers the target and finds its run, then follows it one status read and one live read at a time. */
async function follow(provider: Provider, target: ResolvedTarget): Promise<Follower> {
  const baseline = await provider.baseline(target);
  const triggered = await provider.trigger(target);
  let handle = triggered.kind === 'accepted' ? triggered.handle : undefined;
  for (let i = 0; !handle && i < 20; i++) {
    const found = await provider.find(target, baseline);
    if (found.kind === 'found') handle = found.handle;
  }
  if (!handle) throw new Error('the run was not found');
  let cursor: LiveLogCursor | undefined;
  const h = handle;
  return {
    provider,
    target,
    handle: h,
    cursor: () => cursor,
    async step() {
      const observation = await provider.observe(target, h);
      const lines: LiveLine[] = [];
      const read = await provider.liveLog!(target, h, observation, cursor, (l) => void lines.push(l));
      // The cursor is plain JSON: it survives a round trip (it could be saved between steps).
      cursor = JSON.parse(JSON.stringify(read.cursor)) as LiveLogCursor;
      expect(read.lines).toBe(lines.length);
      return { observation, lines, notes: read.notes, warnings: read.warnings ?? [] };
    },
  };
}

/** Follows until the run ended and one more read drained it; returns every read. */
async function followToEnd(f: Follower, sim: Simulator, gapMs: number, maxSteps = 200) {
  const reads: Array<{ state: string; lines: LiveLine[]; notes: string[] }> = [];
  for (let i = 0; i < maxSteps; i++) {
    const { observation, lines, notes } = await f.step();
    reads.push({ state: observation.state, lines, notes });
    if (['succeeded', 'failed', 'cancelled'].includes(observation.state)) break;
    sim.clock.advance(gapMs);
  }
  return reads;
}

const logReads = (sim: Simulator) => sim.journal.count({ method: 'GET', path: /\/log$/ });

describe('TimeXtender task', () => {
  async function world(scenario: Record<string, unknown>) {
    const sim = await tdpWorld({ timeScale: 0 });
    closers.push(() => sim.close());
    sim.tdp.setScenario(WS, 'Package', 1010, { outcome: 'failure', durationMs: 20_000, ...scenario } as never);
    const { provider, target } = await providerFor('timextender', sim.url, KEY, { workspace: WS, task: 'Package/1010' });
    return { sim, f: await follow(provider, target) };
  }

  it('hands over each line once, in order, while the execution runs, with bursts and long lines; drained once after the end', async () => {
    const { sim, f } = await world({ logLineCount: 400, logShape: { bursts: 8, longLineChars: 6000 } });
    const reads = await followToEnd(f, sim, 1000);
    const executionId = Number(f.handle.runId);
    const truth = sim.tdp.logTruth(WS, 'Package', 1010, executionId);
    const all = reads.flatMap((r) => r.lines);
    expect(all.map((l) => l.text.slice(l.text.indexOf(' ') + 1))).toEqual(Array.from({ length: truth.count }, (_, i) => truth.text(i)));
    // Lines came during the run, in several reads (the bursts), not only at the end.
    const whileRunning = reads.filter((r) => r.state === 'running' && r.lines.length > 0);
    expect(whileRunning.length).toBeGreaterThanOrEqual(4);
    expect(all.some((l) => l.text.length > 6000)).toBe(true);
    expect(new Set(all.map((l) => l.source)).size).toBe(1);
    expect(all[0]!.label).toContain(`execution ${executionId}`);
    // Done: one more read sends no request.
    const before = logReads(sim);
    const again = await f.step();
    expect(again.lines).toEqual([]);
    expect(logReads(sim)).toBe(before);
  });

  it('at most one log request per running execution per read, none while it is queued', async () => {
    const { sim, f } = await world({ logLineCount: 50, queuedMs: 3000 });
    const before = logReads(sim);
    const first = await f.step();
    expect(first.observation.state).toBe('queued');
    expect(logReads(sim)).toBe(before);
    sim.clock.advance(4000);
    await f.step();
    expect(logReads(sim)).toBe(before + 1);
  });

  it('a shortened log is said once and nothing is lost or repeated', async () => {
    const { sim, f } = await world({ logLineCount: 200, logShape: { rewrite: { afterMs: 8_500, kind: 'shorten' } } });
    const reads = await followToEnd(f, sim, 2000);
    const truth = sim.tdp.logTruth(WS, 'Package', 1010, Number(f.handle.runId));
    const texts = reads.flatMap((r) => r.lines).map((l) => l.text.slice(l.text.indexOf(' ') + 1));
    expect(texts).toEqual(Array.from({ length: truth.count }, (_, i) => truth.text(i)));
    const notes = reads.flatMap((r) => r.notes);
    expect(notes.filter((n) => /shortened/.test(n))).toHaveLength(1);
  });

  it('a rewritten log is said once and sent again from its start; no line written after the rewrite is lost', async () => {
    const { sim, f } = await world({ logLineCount: 200, logShape: { rewrite: { afterMs: 8_500, kind: 'rewrite' } } });
    const reads = await followToEnd(f, sim, 2000);
    const truth = sim.tdp.logTruth(WS, 'Package', 1010, Number(f.handle.runId));
    const texts = reads.flatMap((r) => r.lines).map((l) => l.text.slice(l.text.indexOf(' ') + 1));
    const notes = reads.flatMap((r) => r.notes);
    // Compacted to fewer entries than were read, the log is also shorter: either word says it.
    expect(notes.filter((n) => /rewritten|shortened/.test(n))).toHaveLength(1);
    expect(notes.join('\n')).toMatch(/sent again from its start/);
    expect(texts.filter((t) => t.startsWith('(log compacted:'))).toHaveLength(1);
    // Every line the server still holds at the end came, in order, after the compaction line.
    const compacted = texts.findIndex((t) => t.startsWith('(log compacted:'));
    const kept = Number(/compacted: (\d+)/.exec(texts[compacted]!)![1]);
    expect(texts.slice(compacted + 1)).toEqual(Array.from({ length: truth.count - kept }, (_, i) => truth.text(kept + i)));
    // Before the rewrite, each line came once.
    expect(new Set(texts.slice(0, compacted)).size).toBe(compacted);
  });

  it('a failing log read is a warning (not an informational note), and the next read resumes without loss or repeat', async () => {
    const { sim, f } = await world({ logLineCount: 100 });
    sim.clock.advance(5000);
    const first = await f.step();
    expect(first.lines.length).toBeGreaterThan(0);
    sim.clock.advance(5000);
    sim.faults.add({ path: /\/log$/, kind: 'status', status: 500, times: 10 });
    const failed = await f.step();
    expect(failed.lines).toEqual([]);
    expect(failed.warnings.join('\n')).toMatch(/could not be read/);
    expect(failed.notes).toEqual([]);
    sim.faults.clear();
    const reads = await followToEnd(f, sim, 5000);
    const truth = sim.tdp.logTruth(WS, 'Package', 1010, Number(f.handle.runId));
    const texts = [...first.lines, ...reads.flatMap((r) => r.lines)].map((l) => l.text.slice(l.text.indexOf(' ') + 1));
    expect(texts).toEqual(Array.from({ length: truth.count }, (_, i) => truth.text(i)));
  });

  it('masks the key and strips control characters like the log file', async () => {
    const { sim, f } = await world({ logLines: [`connecting with ${KEY}`, '\u001b[31m::error::red\u001b[0m'], durationMs: 2000 });
    const reads = await followToEnd(f, sim, 1000);
    const texts = reads.flatMap((r) => r.lines).map((l) => l.text);
    expect(texts.join('\n')).not.toContain(KEY);
    expect(texts.some((t) => t.includes('***'))).toBe(true);
    expect(texts.join('\n')).not.toContain('\u001b');
  });

  it('a 200,000-line log is handed over whole in one read, streamed', async () => {
    const { sim, f } = await world({ logLineCount: 200_000, durationMs: 10_000 });
    sim.clock.advance(11_000);
    let count = 0;
    let last = '';
    const observation = await f.provider.observe(f.target, f.handle);
    const read = await f.provider.liveLog!(f.target, f.handle, observation, undefined, (l) => {
      count++;
      last = l.text;
    });
    expect(count).toBe(200_000);
    expect(read.lines).toBe(200_000);
    expect(last).toMatch(/ERROR/);
    expect(JSON.stringify(read.cursor).length).toBeLessThan(500);
  }, 60_000);

  it('when printing is backed up (the line callback returns a promise), the read waits for it before going on', async () => {
    const { sim, f } = await world({ logLineCount: 50, durationMs: 2_000 });
    sim.clock.advance(3_000);
    const observation = await f.provider.observe(f.target, f.handle);
    let count = 0;
    let release!: () => void;
    const backedUp = new Promise<void>((resolve) => (release = resolve));
    const reading = f.provider.liveLog!(f.target, f.handle, observation, undefined, () => {
      count++;
      return count === 10 ? backedUp : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(count).toBe(10);
    release();
    const read = await reading;
    expect(count).toBe(50);
    expect(read.lines).toBe(50);
  });
});

describe('outputBacklog', () => {
  it('nothing to wait for under 1 MiB waiting; past it, a promise that resolves when the stream drained', async () => {
    let finishWrite!: () => void;
    // stdout's high-water mark (16 KiB): past it a write says the stream is full, and 'drain' follows.
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(_chunk, _encoding, callback) {
        finishWrite = callback;
      },
    });
    expect(outputBacklog([slow])).toBeUndefined();
    slow.write(Buffer.alloc(512 * 1024));
    expect(outputBacklog([slow])).toBeUndefined();
    slow.write(Buffer.alloc(1024 * 1024));
    const wait = outputBacklog([slow]);
    expect(wait).toBeInstanceOf(Promise);
    let drained = false;
    void wait!.then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drained).toBe(false);
    const released = Date.now();
    finishWrite();
    await new Promise((resolve) => setImmediate(resolve));
    finishWrite();
    await wait;
    expect(slow.writableLength).toBe(0);
    // By the drain, not by the 5 s guard.
    expect(Date.now() - released).toBeLessThan(1_000);
  });
});

describe('TimeXtender process map', () => {
  it('reads each running member execution, groups lines by member, and says once that Query logs are empty', async () => {
    const sim = await tdpWorld({ timeScale: 0 });
    closers.push(() => sim.close());
    for (const [type, id] of [['Package', 1005], ['Package', 1010], ['Query', 2010], ['EmailSummary', 3001]] as const) {
      sim.tdp.setScenario(WS, type, id, { outcome: 'success', durationMs: 4000, logLineCount: 20 });
    }
    const { provider, target } = await providerFor('timextender', sim.url, KEY, { workspace: WS, 'process-map': '42' });
    const f = await follow(provider, target);
    const reads = await followToEnd(f, sim, 1000, 100);
    const lines = reads.flatMap((r) => r.lines);
    const sources = [...new Set(lines.map((l) => l.source))];
    expect(sources).toHaveLength(3);
    for (const source of sources) expect(lines.filter((l) => l.source === source)).toHaveLength(20);
    expect(reads.flatMap((r) => r.notes).filter((n) => /Query tasks keep no execution log/.test(n))).toHaveLength(1);
  });
});

describe('Planasonix run', () => {
  async function world(format: 'text' | 'ndjson' | 'urls'): Promise<{ w: PlxWorld; f: Follower }> {
    const w = await plxWorld({ logFormat: format, logPageLines: 1000 }, { timeScale: 0 });
    closers.push(() => w.close());
    w.plx.setPipelineScenario(PIPELINE, { outcome: 'failure', durationMs: 30_000, logLineCount: 300, logBursts: 6, failingNode: 'load' } as never);
    const { provider, target } = await providerFor('planasonix', w.baseUrl, PLX_KEY, { pipeline: PIPELINE });
    return { w, f: await follow(provider, target) };
  }

  for (const format of ['text', 'ndjson', 'urls'] as const) {
    it(`follows the run with since in the ${format} format: every line once, in order, while it runs`, async () => {
      const { w, f } = await world(format);
      const reads = await followToEnd(f, w.sim, 2000);
      const truth = w.plx.logTruth(f.handle.runId);
      const texts = reads.flatMap((r) => r.lines).map((l) => l.text);
      const words = (t: string) => t.slice(t.indexOf(' ') + 1); // the time's layout differs between formats
      expect(texts.map(words)).toEqual(Array.from({ length: truth.count }, (_, i) => words(truth.text(i))));
      expect(reads.filter((r) => r.state === 'running' && r.lines.length > 0).length).toBeGreaterThanOrEqual(3);
      const sinces = w.sim.journal.entries({ path: /\/logs$/ });
      expect(sinces.length).toBeGreaterThan(0);
      expect(new Set(reads.flatMap((r) => r.lines).map((l) => l.source)).size).toBeGreaterThanOrEqual(2);
      if (format === 'urls') {
        const objects = w.plx.objectStore.requests();
        expect(objects.length).toBeGreaterThan(0);
        for (const r of objects) expect(r.credentialHeaders).toEqual([]);
      }
    });
  }

  it('says once that sync jobs have no log endpoint', async () => {
    const w = await plxWorld({}, { timeScale: 0 });
    closers.push(() => w.close());
    const { provider, target } = await providerFor('planasonix', w.baseUrl, PLX_KEY, { connection: 'conn_orders' });
    const f = await follow(provider, target);
    const first = await f.step();
    const second = await f.step();
    expect(first.notes.join('')).toMatch(/no log endpoint/);
    expect(second.notes).toEqual([]);
  });
});

describe('Planasonix without a server cursor (since as an ISO time)', () => {
  it('asks one ms before the last line time and skips the lines at that time already handed over', async () => {
    const { readRunLog, plxCursor } = await import('../../src/providers/planasonix/live.js');
    const log: string[] = [];
    const at = (s: number) => new Date(Date.UTC(2026, 2, 15, 8, 30, s)).toISOString();
    const page = (since: string | undefined) =>
      (async function* () {
        // A server that counts `since` as "after" and hands out no cursor.
        for (const line of log) if (since === undefined || Date.parse(line.slice(0, 24)) > Date.parse(since)) yield line;
      })();
    let cursor = plxCursor(undefined);
    const got: string[] = [];
    const read = async () => {
      const r = await readRunLog(page, cursor, { id: 'r1', label: 'run r1' }, (t) => t, (l) => void got.push(l.text));
      cursor = JSON.parse(JSON.stringify(r.cursor));
    };
    log.push(`${at(1)} INFO [a] one`, `${at(2)} INFO [a] two`, `${at(2)} INFO [a] three`);
    await read();
    log.push(`${at(2)} INFO [a] four (same second, written later)`, `${at(3)} INFO [b] five`);
    await read();
    await read();
    expect(got.map((t) => t.split(' ').slice(3).join(' '))).toEqual(['one', 'two', 'three', 'four (same second, written later)', 'five']);
  });
});
