/**
 * The process policy shared by the front ends (src/adapters/entry.ts), driven through a stand-in for
 * `process` and its timers: nothing here signals or exits jest. The front ends as real processes are tested
 * in test/github/process.test.ts, test/e2e/cli.test.ts, test/azure/*.test.ts and test/proof/crash.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cleanText, faultLine, runProcess, signalHandler, type EntryOptions, type ProcessHooks } from '../../src/adapters/entry.js';
import { runtimes } from '../helpers/runtimes.js';

const KEY = 'txk_EntryPolicyKey0123456789abcdef';

/** A stand-in for the process: listeners kept, exits and exit codes recorded, timers fired by hand. */
class FakeProcess implements ProcessHooks {
  readonly exits: Array<number | undefined> = [];
  exitCode: number | undefined;
  readonly timers: Array<{ fn: () => void; ms: number }> = [];
  heapBounded = 0;
  private signalListeners: Array<(signal: string) => void> = [];
  private faultListeners: Array<(error: unknown) => void> = [];

  onSignal(listener: (signal: string) => void): void {
    this.signalListeners.push(listener);
  }
  onFault(listener: (error: unknown) => void): void {
    this.faultListeners.push(listener);
  }
  exit(code?: number): void {
    this.exits.push(code);
  }
  setExitCode(code: number): void {
    this.exitCode = code;
  }
  later(fn: () => void, ms: number): void {
    this.timers.push({ fn, ms });
  }
  boundHeap(): void {
    this.heapBounded++;
  }

  signal(name: string): void {
    for (const l of this.signalListeners) l(name);
  }
  fault(error: unknown): void {
    for (const l of this.faultListeners) l(error);
  }
  /** Fires the timers armed so far, in order. */
  fireTimers(): void {
    for (const t of this.timers.splice(0)) t.fn();
  }
}

interface Harness {
  proc: FakeProcess;
  said: string[];
  faults: Array<{ line: string; error: unknown }>;
  stops: string[];
  step: { signal?: AbortSignal; resolve: (code: number) => void; reject: (error: unknown) => void };
}

function start(overrides: Partial<EntryOptions> = {}): Harness {
  const proc = new FakeProcess();
  const said: string[] = [];
  const faults: Harness['faults'] = [];
  const stops: string[] = [];
  const step = {} as Harness['step'];
  const options: EntryOptions = {
    label: 'test-step',
    say: (line) => said.push(line),
    firstLine: (signal) => `test-step: ${signal} received: stopping`,
    hardExitMs: 4500,
    stopNow: ({ kind, signal, hardExitMs }) => {
      stops.push(`${kind} ${signal} ${hardExitMs}`);
      return kind === 'again' ? 130 : 7;
    },
    secrets: () => [KEY],
    fault: (line, error) => {
      faults.push({ line, error });
      return 1;
    },
    lingerMs: 2000,
    ...overrides,
  };
  runProcess(
    options,
    (signal) =>
      new Promise<number>((resolve, reject) => {
        Object.assign(step, { signal, resolve, reject });
      }),
    proc,
  );
  return { proc, said, faults, stops, step };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('signals', () => {
  test('the first signal aborts the step, says so once, and arms the hard exit; nothing exits yet', () => {
    const h = start();
    h.proc.signal('SIGINT');
    expect(h.step.signal!.aborted).toBe(true);
    expect(h.said).toEqual(['test-step: SIGINT received: stopping']);
    expect(h.proc.timers.map((t) => t.ms)).toEqual([4500]);
    expect(h.proc.exits).toEqual([]);
  });

  test('a second signal exits at once with the code the front end chose', () => {
    const h = start();
    h.proc.signal('SIGINT');
    h.proc.signal('SIGTERM');
    expect(h.stops).toEqual(['again SIGTERM 4500']);
    expect(h.proc.exits).toEqual([130]);
    expect(h.said).toHaveLength(1);
  });

  test('the hard exit: the step did not stop in time', () => {
    const h = start();
    h.proc.signal('SIGTERM');
    h.proc.fireTimers();
    expect(h.stops).toEqual(['late SIGTERM 4500']);
    expect(h.proc.exits).toEqual([7]);
  });

  test('without a hard-exit time no timer is armed (the CLI: a second Ctrl-C ends it)', () => {
    const h = start({ hardExitMs: undefined });
    h.proc.signal('SIGINT');
    expect(h.proc.timers).toEqual([]);
    expect(h.proc.exits).toEqual([]);
  });

  test('the abort reason is the front end\'s when it gives one', () => {
    const h = start({ abortReason: (signal) => new Error(`${signal} received`) });
    h.proc.signal('SIGTERM');
    expect((h.step.signal!.reason as Error).message).toBe('SIGTERM received');
  });

  test('signalHandler alone: the same policy around any controller', () => {
    const controller = new AbortController();
    const exits: number[] = [];
    const armed: number[] = [];
    const onSignal = signalHandler({
      controller,
      say: () => undefined,
      firstLine: () => undefined,
      hardExitMs: 100,
      stopNow: () => 3,
      exit: (code) => exits.push(code),
      later: (_fn, ms) => armed.push(ms),
    });
    onSignal('SIGINT');
    expect(controller.signal.aborted).toBe(true);
    expect(armed).toEqual([100]);
    onSignal('SIGINT');
    expect(exits).toEqual([3]);
  });
});

describe('faults', () => {
  test('an uncaught exception: one masked line, the front end\'s exit code set and exited with', () => {
    const h = start();
    h.proc.fault(new TypeError(`bad key ${KEY}\n    at somewhere (file.js:1:1)`));
    expect(h.faults.map((f) => f.line)).toEqual(['test-step: internal error: bad key *** at somewhere (file.js:1:1)']);
    expect(h.faults[0]!.error).toBeInstanceOf(TypeError);
    expect(h.proc.exitCode).toBe(1);
    expect(h.proc.exits).toEqual([1]);
  });

  test('a step that rejects is a fault like any other, reported at once', async () => {
    const h = start();
    h.step.reject(new Error('boom'));
    await tick();
    expect(h.faults.map((f) => f.line)).toEqual(['test-step: internal error: boom']);
    expect(h.proc.exits).toEqual([1]);
  });

  test('a step that throws synchronously is a fault too', () => {
    const proc = new FakeProcess();
    const lines: string[] = [];
    return new Promise<void>((done) => {
      runProcess(
        {
          label: 'x',
          say: () => undefined,
          firstLine: () => undefined,
          stopNow: () => 1,
          secrets: () => [],
          fault: (line) => {
            lines.push(line);
            done();
            return 1;
          },
          lingerMs: 1,
        },
        () => {
          throw new RangeError('sync throw');
        },
        proc,
      );
    }).then(() => {
      expect(lines).toEqual(['x: internal error: sync throw']);
      expect(proc.exits).toEqual([1]);
    });
  });

  test('a step that must not fail the job (exit 0 for a fault) keeps its code', () => {
    const h = start({ fault: () => 0 });
    h.proc.fault('a string was thrown');
    expect(h.proc.exits).toEqual([0]);
  });

  test('a fault while the fault is being reported: still one report, the exit code still a failure', () => {
    const h = start({
      fault: () => {
        throw new Error('the report failed');
      },
    });
    h.proc.fault(new Error('first'));
    h.proc.fault(new Error('second'));
    expect(h.proc.exitCode).toBe(1);
    expect(h.proc.exits).toEqual([1, undefined]);
  });

  test('the keys are read when the fault happens (the step may have learnt them since)', () => {
    let keys: string[] = [];
    const h = start({ secrets: () => keys });
    keys = ['late-registered-secret-value'];
    h.proc.fault(new Error('leaked late-registered-secret-value'));
    expect(h.faults[0]!.line).toBe('test-step: internal error: leaked ***');
  });
});

describe('after the step', () => {
  test('its result becomes the exit code, then a linger timer exits even with handles open', async () => {
    const h = start();
    h.step.resolve(3);
    await tick();
    expect(h.proc.exitCode).toBe(3);
    expect(h.proc.exits).toEqual([]);
    expect(h.proc.timers.map((t) => t.ms)).toEqual([2000]);
    h.proc.fireTimers();
    expect(h.proc.exits).toEqual([undefined]);
  });

  test('the front end may map the result to its exit code (Azure: 0 once task.complete is out)', async () => {
    const h = start({ exitCode: (result) => (result === 1 ? 0 : 5) });
    h.step.resolve(1);
    await tick();
    expect(h.proc.exitCode).toBe(0);
  });

  test('a deadline aborts the step\'s signal (the post step)', async () => {
    const h = start({ deadlineMs: 20 });
    expect(h.step.signal!.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(h.step.signal!.aborted).toBe(true);
  });
});

describe('the memory settings', () => {
  test('are made once, before the step starts', () => {
    const proc = new FakeProcess();
    let boundWhenStepStarted: number | undefined;
    runProcess(
      { label: 'test-step', say: () => undefined, firstLine: () => undefined, hardExitMs: 100, stopNow: () => 1, secrets: () => [], fault: () => 1, lingerMs: 10 },
      () => {
        boundWhenStepStarted = proc.heapBounded;
        return new Promise<number>(() => undefined);
      },
      proc,
    );
    expect(boundWhenStepStarted).toBe(1);
    expect(proc.heapBounded).toBe(1);
  });

  // What boundMemory (the compiled lib/adapters/entry.js, as the bundles run it) does, on each Node the
  // bundles run on, in a process of its own: with it, without it.
  const ENTRY = pathToFileURL(join(process.cwd(), 'lib', 'adapters', 'entry.js')).href;
  const child = (bin: string, bound: boolean, body: string) =>
    Number(execFileSync(bin, ['--input-type=module', '-e', `${bound ? `(await import(${JSON.stringify(ENTRY)})).boundMemory();` : ''}\n${body}`], { encoding: 'utf8' }));

  // A process that keeps one object in fifty alive (as a log read does: entries outlive a collection while
  // they are written) ends with the young generation V8 started with, or with a grown one.
  const churn = `
    import v8 from 'node:v8';
    const keep = [];
    for (let i = 0; i < 2e6; i++) {
      const o = { a: 'x' + i, b: [i] };
      if (i % 50 === 0) keep.push(o);
      if (keep.length > 20000) keep.splice(0, 10000);
    }
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    process.stdout.write(String(space.space_size / 1048576));`;
  test.each(runtimes().map((r) => [r.name, r.bin]))('%s: the young generation stays at its starting size', (_name, bin) => {
    expect(child(bin, false, churn)).toBeGreaterThanOrEqual(16);
    expect(child(bin, true, churn)).toBeLessThanOrEqual(4);
  });

  // Thirty requests through undici (whose HTTP parser is WebAssembly), then a pause in which V8 would compile
  // the parser again with its optimizing compiler: the peak resident memory (KiB) with and without.
  const UNDICI = pathToFileURL(join(process.cwd(), 'node_modules', 'undici', 'index.js')).href;
  const requests = `
    import http from 'node:http';
    import { readFileSync } from 'node:fs';
    const { request } = await import(${JSON.stringify(UNDICI)});
    const server = http.createServer((_q, r) => r.end(JSON.stringify({ status: 'Running', items: [1, 2, 3] })));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    for (let i = 0; i < 30; i++) await (await request('http://127.0.0.1:' + server.address().port + '/')).body.text();
    await new Promise((r) => setTimeout(r, 600));
    server.close();
    process.stdout.write(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);`;
  test.each(runtimes().map((r) => [r.name, r.bin]))('%s: the HTTP parser is not compiled a second time (a peak 10 MiB or more lower)', (_name, bin) => {
    expect(child(bin, true, requests)).toBeLessThanOrEqual(child(bin, false, requests) - 10 * 1024);
  });
});

describe('the fault line', () => {
  test('one line: masked (the key as given, trimmed, in pieces), neutralized, breaks folded', () => {
    const line = faultLine('orchestration-run', new Error(`::error::x\r\n  ##vso[task.complete]${KEY}  Bearer ${KEY}`), [` Bearer ${KEY} `]);
    expect(line).not.toContain(KEY);
    expect(line).not.toMatch(/[\r\n]/);
    expect(line).not.toContain('##vso[');
    expect(line.startsWith('orchestration-run: internal error: :')).toBe(true);
    expect(line).toContain('***');
  });

  test('a thrown non-Error and an empty message still give a line', () => {
    expect(faultLine('l', 42, [])).toBe('l: internal error: 42');
    expect(faultLine('l', new Error(''), [])).toBe('l: internal error: unknown error');
    expect(faultLine('l', undefined, [undefined, ''])).toBe('l: internal error: undefined');
  });

  test('cleanText keeps the lines (a stack for debug lines) but masks and neutralizes each', () => {
    expect(cleanText(`Error: ${KEY}\n::set-output x\n    at f`, [KEY]).split('\n')).toEqual(['Error: ***', ':\u00b7:set-output x', '    at f']);
  });
});
