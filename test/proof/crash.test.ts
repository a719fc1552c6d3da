/**
 * Proof 6, crash safety: an unexpected exception or rejection anywhere ends the step as failed with one
 * clear line (and the summary written when possible), never with exit 0 and never with a stack trace.
 *
 * In-process: the engine with a provider loader that throws, a provider module whose create throws, a host
 * whose writeSummary throws, and the real TimeXtender provider wrapped so that one method throws (or
 * returns garbage) mid-step. As processes: each built front end with a fault injected by a preloaded
 * module (`node --import`): a synchronous throw inside the step, an unhandled rejection and an uncaught
 * exception while a run is being followed. The injected messages carry the API key: it must not show.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStep, type StepOutcome } from '../../src/core/engine/index.js';
import { parseSettings } from '../../src/providers/registry.js';
import { loadProvider } from '../../src/providers/registry.js';
import type { Provider, ProviderLoader, ProviderModule } from '../../src/core/provider.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { findLeaks } from '../helpers/leaks.js';
import { availableFrontEnds, everythingPrinted, runFrontEnd, withoutMaskRegistration, type FrontEnd, type FrontEndRun } from './frontends.js';
import { PLATFORMS, TDP_KEY, TDP_WS, type SeededTarget } from './platforms.js';
import { lines, pool, ProofHost, realProcess, STACK_LINE, writeFigures } from './support.js';

const platform = PLATFORMS[0]!;
let sim: Simulator;
let passed = 0;
let total = 0;

beforeAll(async () => {
  sim = await startSimulator({ seed: 21 });
  platform.prepare(sim);
});

afterAll(async () => {
  writeFigures('crash', { cases: total, passed });
  await sim.close();
});

/** Counts the case for the figures once its assertions passed. */
function counted(name: string, fn: () => Promise<void>, timeout?: number): void {
  test(
    name,
    async () => {
      total++;
      await fn();
      passed++;
    },
    timeout,
  );
}

// ---------------------------------------------------------------------------------------------------------
// In-process: the engine

async function run(target: SeededTarget, loader: ProviderLoader, host = new ProofHost(), timeout = '6s'): Promise<{ outcome?: StepOutcome; error?: unknown; host: ProofHost; rejections: unknown[] }> {
  const values: Record<string, string> = { platform: platform.name, 'base-url': sim.url, 'api-key': TDP_KEY, timeout, 'poll-interval': '100ms', ...target.inputs };
  const { settings } = parseSettings((name) => values[name]);
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  realProcess.on('unhandledRejection', onRejection);
  try {
    const outcome = await runStep(settings, host, { loadProvider: loader, http: { requestTimeoutMs: 2000, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 } }, startWindowMs: 3000, confirmWindowMs: 800 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { outcome, host, rejections };
  } catch (error) {
    return { error, host, rejections };
  } finally {
    realProcess.off('unhandledRejection', onRejection);
  }
}

type Sabotage = (real: Provider, calls: Map<string, number>) => Partial<Provider>;

/** The real provider module, with some methods replaced. */
function wrapped(sabotage: Sabotage): ProviderLoader {
  return async (name) => {
    const real = await loadProvider(name);
    const module: ProviderModule = {
      platform: real.platform,
      authHeaders: (key) => real.authHeaders(key),
      ...(real.accessHints && { accessHints: real.accessHints }),
      create: (deps) => {
        const provider = real.create(deps);
        const calls = new Map<string, number>();
        const count = (method: string) => calls.set(method, (calls.get(method) ?? 0) + 1).get(method)!;
        const overrides = sabotage(provider, calls);
        return new Proxy(provider, {
          get(target, prop, receiver) {
            const value = Reflect.get(target, prop, receiver);
            if (typeof prop === 'string' && prop in overrides) {
              const override = (overrides as Record<string, unknown>)[prop] as (...args: unknown[]) => unknown;
              return (...args: unknown[]) => {
                count(prop);
                return override(...args);
              };
            }
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
      },
    };
    return module;
  };
}

/** One failed step: failed status, non-zero exit, one line naming the cause, the summary written. */
function expectCleanFailure(r: Awaited<ReturnType<typeof run>>, cause: RegExp): void {
  expect(r.error).toBeUndefined();
  expect(r.rejections).toEqual([]);
  const outcome = r.outcome!;
  expect(outcome.status).toBe('failed');
  expect(outcome.exitCode).not.toBe(0);
  expect(outcome.failureLine).toMatch(cause);
  expect(outcome.failureLine).not.toMatch(/[\r\n]/);
  expect(outcome.failureLine).not.toMatch(STACK_LINE);
  expect(r.host.summary).toBeDefined();
  expect(r.host.summary).toContain(outcome.results[0]!.target);
  expect(r.host.outputs.get('status')).toBe('failed');
  expect(findLeaks([r.host.printed(), r.host.summary ?? '', ...r.host.outputs.values()], TDP_KEY)).toEqual([]);
}

describe('the engine', () => {
  counted('a provider loader that throws: the step fails with one line, and the summary and outputs are still written', async () => {
    const target = platform.seed(sim, 'success');
    const r = await run(target, async () => {
      throw new Error(`the provider module could not be loaded (key ${TDP_KEY})`);
    });
    expectCleanFailure(r, /provider module could not be loaded/);
    expect(target.triggerRequests()).toBe(0);
  });

  counted("a provider module whose create throws a TypeError: the step fails with one line, summary written", async () => {
    const target = platform.seed(sim, 'success');
    const r = await run(target, async (name) => {
      const real = await loadProvider(name);
      return { ...real, create: () => (undefined as unknown as { create: () => Provider }).create() };
    });
    expectCleanFailure(r, /TypeError|Cannot read properties of undefined/);
  });

  counted('a host whose writeSummary throws: a warning, the true outcome kept (a failed run stays failed)', async () => {
    const target = platform.seed(sim, 'failure');
    const host = new ProofHost();
    host.summaryWriter = async () => {
      throw new Error('EACCES: the summary file is read-only');
    };
    const r = await run(target, loadProvider, host);
    expect(r.error).toBeUndefined();
    expect(r.outcome!.status).toBe('failed');
    expect(r.outcome!.exitCode).toBe(1);
    expect(host.warnings().some((w) => /could not write the summary: EACCES/.test(w))).toBe(true);
    expect(host.outputs.get('status')).toBe('failed');
  });

  counted('a host whose writeSummary throws after a succeeded run: still green (a summary is not the data load), with a warning', async () => {
    const target = platform.seed(sim, 'success');
    const host = new ProofHost();
    host.summaryWriter = async () => {
      throw new TypeError('summary writer exploded');
    };
    const r = await run(target, loadProvider, host);
    expect(r.outcome!.status).toBe('succeeded');
    expect(target.apiRuns()[0]!.green).toBe(true);
    expect(host.warnings().some((w) => /could not write the summary/.test(w))).toBe(true);
  });

  counted('observe throws a TypeError mid-follow: failed, the line names the follow phase and the error, no false green', async () => {
    const target = platform.seed(sim, 'success', { durationMs: 1500 });
    const r = await run(
      target,
      wrapped((real, calls) => ({
        observe: async (t: never, h: never) => {
          if ((calls.get('observe') ?? 0) >= 3) throw new TypeError("Cannot read properties of undefined (reading 'status')");
          return real.observe(t, h);
        },
      })),
    );
    expectCleanFailure(r, /follow: .*Cannot read properties of undefined/);
    expect(target.apiRuns()).toHaveLength(1);
  });

  counted('observe resolves garbage (undefined): failed, never green', async () => {
    const target = platform.seed(sim, 'success');
    const r = await run(target, wrapped(() => ({ observe: async () => undefined as never })));
    expectCleanFailure(r, /follow/);
  });

  counted('observe says a state the engine does not know: never green (times out)', async () => {
    const target = platform.seed(sim, 'success');
    const r = await run(target, wrapped(() => ({ observe: async () => ({ state: 'done' as never, rawStatus: 'Done' }) })), new ProofHost(), '1500ms');
    expect(r.outcome!.status).toBe('timed-out');
    expect(r.outcome!.exitCode).toBe(3);
  });

  counted('resolve throws synchronously (not a rejected promise): failed, the line names the resolve phase', async () => {
    const target = platform.seed(sim, 'success');
    const r = await run(
      target,
      wrapped(() => ({
        resolve: () => {
          throw new RangeError('resolve exploded');
        },
      })),
    );
    expectCleanFailure(r, /resolve: resolve exploded/);
    expect(target.triggerRequests()).toBe(0);
  });

  counted('the trigger call throws after the server accepted it: failed naming the trigger phase, no second run', async () => {
    const target = platform.seed(sim, 'success');
    const r = await run(
      target,
      wrapped((real) => ({
        trigger: async (t: never) => {
          await real.trigger(t);
          throw new TypeError('trigger answer handling exploded');
        },
      })),
    );
    expectCleanFailure(r, /trigger: trigger answer handling exploded/);
    expect(target.apiRuns()).toHaveLength(1);
    expect(target.triggerRequests()).toBe(1);
  });

  counted('fetching the failure details throws: the failed run stays failed, and a warning names the cause', async () => {
    const target = platform.seed(sim, 'failure');
    const r = await run(
      target,
      wrapped(() => ({
        failures: async () => {
          throw new SyntaxError('log parser exploded');
        },
      })),
    );
    expectCleanFailure(r, /run \d+ ended Failed/);
    expect(r.host.warnings().some((w) => /could not read the failure details.*log parser exploded/.test(w))).toBe(true);
  });

  counted('a cancel that throws on timeout: timed out, and the note names the failed cancel', async () => {
    const target = platform.seed(sim, 'hang');
    const r = await run(
      target,
      wrapped(() => ({
        cancel: async () => {
          throw new TypeError('cancel exploded');
        },
      })),
      new ProofHost(),
      '1500ms',
    );
    expect(r.outcome!.status).toBe('timed-out');
    expect(r.outcome!.results[0]!.cancel?.note).toMatch(/cancel of run \d+ failed: cancel exploded/);
  });
});

// ---------------------------------------------------------------------------------------------------------
// As processes: each built front end, with a fault injected by a preloaded module

const KEY_FROM_ENV = "const key = process.env.ORCHESTRATION_RUN_API_KEY ?? process.env['INPUT_API-KEY'] ?? process.env.INPUT_APIKEY;";
const FAULTS = {
  /** The engine names each step's log file with randomBytes(3): that call throws. */
  'a synchronous throw inside the step': `
    import crypto from 'node:crypto';
    import { syncBuiltinESMExports } from 'node:module';
    ${KEY_FROM_ENV}
    const real = crypto.randomBytes;
    crypto.randomBytes = (size, ...rest) => {
      if (size === 3) throw new TypeError('injected fault: randomBytes exploded (key ' + key + ')');
      return real(size, ...rest);
    };
    syncBuiltinESMExports();`,
  'an unhandled rejection while following': `
    ${KEY_FROM_ENV}
    setTimeout(() => { Promise.reject(new Error('injected fault: a promise nobody awaited rejected (key ' + key + ')')); }, 700);`,
  'an uncaught exception while following': `
    ${KEY_FROM_ENV}
    setTimeout(() => { throw new Error('injected fault: a timer callback threw (key ' + key + ')'); }, 700);`,
  /** azure-pipelines-task-lib makes its vault key with randomBytes while it loads, after it installed its own handlers. */
  'a throw while the task library loads': `
    import crypto from 'node:crypto';
    import { syncBuiltinESMExports } from 'node:module';
    ${KEY_FROM_ENV}
    const real = crypto.randomBytes;
    let first = true;
    crypto.randomBytes = (size, ...rest) => {
      if (first && size !== 3) { first = false; throw new TypeError('injected fault: the vault key could not be made (key ' + key + ')'); }
      return real(size, ...rest);
    };
    syncBuiltinESMExports();`,
} as const;
type FaultName = keyof typeof FAULTS;
const FAULTS_FOR: Record<FrontEnd, FaultName[]> = {
  cli: ['a synchronous throw inside the step', 'an unhandled rejection while following', 'an uncaught exception while following'],
  github: ['a synchronous throw inside the step', 'an unhandled rejection while following', 'an uncaught exception while following'],
  azure: ['a synchronous throw inside the step', 'an unhandled rejection while following', 'an uncaught exception while following', 'a throw while the task library loads'],
};

const frontEnds = availableFrontEnds();
const runs = new Map<string, FrontEndRun>();
const preloadDir = mkdtempSync(join(tmpdir(), 'proof-preload-'));

describe('the front ends as processes', () => {
  beforeAll(async () => {
    const jobs = frontEnds.flatMap((fe) => FAULTS_FOR[fe].map((fault) => ({ fe, fault })));
    await pool(jobs, 3, async ({ fe, fault }) => {
      const file = join(preloadDir, `${fault.replace(/\W+/g, '-')}.mjs`);
      writeFileSync(file, FAULTS[fault]);
      // A run that never ends, so the injected fault hits while the step follows it.
      const target = platform.seed(sim, 'hang');
      const inputs = { platform: platform.name, 'base-url': sim.url, 'api-key': TDP_KEY, timeout: '6s', 'poll-interval': '200ms', workspace: TDP_WS, ...target.inputs };
      runs.set(`${fe}/${fault}`, await runFrontEnd(fe, inputs, { nodeArgs: ['--import', file], timeoutMs: 30_000 }));
    });
    if (process.env.PROOF_VERBOSE) for (const [k, r] of runs) process.stdout.write(`==== ${k} exit ${r.code} ${r.ms}ms\n${r.stdout}\n---- stderr\n${r.stderr}\n`);
  }, 120_000);

  describe.each(frontEnds.flatMap((fe) => FAULTS_FOR[fe].map((fault) => [`${fe}: ${fault}`, fe, fault] as const)))('%s', (_name, fe: FrontEnd, fault: FaultName) => {
    counted(`ends failed (${fe === 'cli' ? 'exit 1' : fe === 'github' ? 'exit non-zero' : 'task.complete Failed, then exit 0 as the agent expects'}) with one clear line, no stack trace, no key, and stops`, async () => {
      const r = runs.get(`${fe}/${fault}`)!;
      expect(r.signal).toBeNull();
      if (fe === 'cli') expect(r.code).toBe(1);
      // The agent takes the result from task.complete (checked below); a non-zero exit would add an error of its own.
      else if (fe === 'azure') expect(r.code).toBe(0);
      else expect(r.code === null || r.code === 0 ? `exit ${r.code}` : 'non-zero').toBe('non-zero');
      // It stops at the fault: it does not go on following the run to the 6 s timeout.
      expect(r.ms).toBeLessThan(4000);
      // As the agent shows them: command messages unescaped (a %0A-encoded stack is a stack).
      const unescape = (l: string) => l.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%AZP25/g, '%');
      const shown = [...lines(withoutMaskRegistration(r.stdout)), ...lines(r.stderr)].flatMap((l) => unescape(l).split(/\r?\n/));
      // Debug lines (::debug::, ##vso[task.debug]) are hidden unless the user turns debugging on; the task's
      // result (task.complete) repeats its error issue, which is the one line shown.
      const visible = shown.filter((l) => !/^::debug::|^##vso\[task\.debug\]/.test(l));
      const faultLines = visible.filter((l) => /injected fault/.test(l) && !/^##vso\[task\.complete /.test(l));
      expect(faultLines).toHaveLength(1);
      expect(faultLines[0]).toMatch(/internal error/);
      expect(visible.filter((l) => STACK_LINE.test(l))).toEqual([]);
      if (fe === 'github') expect(faultLines[0]).toMatch(/^::error::/);
      if (fe === 'azure') expect(visible.filter((l) => /^##vso\[task\.complete /.test(l)).map((l) => /result=(\w+)/.exec(l)![1])).toEqual(['Failed']);
      expect(findLeaks(everythingPrinted(r), TDP_KEY)).toEqual([]);
    });
  });
});
