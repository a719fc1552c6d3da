/**
 * The post step of the GitHub Action and what it shares with the main step (main-step.ts), free of process
 * wiring (signals, exit) so tests can drive them with a recording `core`. The post step cancels what a killed
 * main step left running. (The main step is in a module of its own so that the post step's bundle carries
 * nothing of the pull-request comment.)
 *
 * The engine and the providers (with their HTTP client) are imported only once the inputs are valid: an
 * input error, the most common failure, is reported without loading them. The bundler puts them in a chunk of
 * their own, read from disk only then.
 */
import type { EngineOptions } from '../../core/engine/index.js';
import type { RawInputs } from '../../core/inputs/index.js';
import type { ProviderLoader } from '../../core/provider.js';
import { pendingSavedRuns, STATE_RUNS, type SavedRun } from '../../core/saved-runs.js';
import { secretPieces } from '../../core/untrusted.js';
import { parseSettings } from '../../providers/registry.js';
import { readRunContext, type RunContext } from './context.js';
import { GitHubHost, type CoreApi } from './host.js';
import { errorText } from '../../core/text.js';

/**
 * Saved by the main step once it has finished: `true` when it left nothing to settle (the post step stays
 * quiet); `stopped:<indexes>` when targets were stopped (cancel, timeout, fail-fast), so the post step settles
 * what the main step could not: cancels the platform did not confirm, and triggers that were in flight with
 * no run found yet for those targets. Absent: the main step was killed, and every saved run is settled.
 */
export const STATE_MAIN_FINISHED = 'main-finished';
export const STOPPED_PREFIX = 'stopped:';

/**
 * Time the engine may spend cancelling remote runs once following stopped. The runner sends SIGTERM about
 * 7.5 s after SIGINT, and the process exits by itself (see process.ts) 5 s after the first signal.
 */
export const CANCEL_BUDGET_MS = 3_500;

export interface StepDeps {
  core: CoreApi;
  env: Record<string, string | undefined>;
  /** Fires on SIGINT/SIGTERM (and, in the post step, at its own deadline). */
  signal: AbortSignal;
  loadProvider?: ProviderLoader;
  /** Engine overrides for tests (HTTP timeouts, heartbeat). */
  engine?: Partial<Omit<EngineOptions, 'loadProvider'>>;
  /** The run's context; read from the environment (and the event payload) when not given. */
  context?: RunContext;
  /** Time limit of the pull-request comment, for tests. */
  commentTimeoutMs?: number;
}

/** The engine, loaded on first use (one lazily loaded chunk). */
export async function loadEngine() {
  return import(/* webpackChunkName: "engine" */ '../../core/engine/index.js');
}

/** The provider loader given by a test, else the registry's (each platform's provider loads on first use). */
export async function providerLoader(deps: StepDeps): Promise<ProviderLoader> {
  return deps.loadProvider ?? (await import(/* webpackChunkName: "engine" */ '../../providers/registry.js')).loadProvider;
}

/** Raw inputs as the runner passes them (`INPUT_<NAME>`), untrimmed so line numbers in messages stay right. */
export function rawInputs(core: CoreApi): RawInputs {
  return (name) => core.getInput(name, { trimWhitespace: false });
}

/**
 * Registers the key as a secret before anything is printed: the raw value, the trimmed one and every
 * longer whitespace-separated piece (a key pasted as `Bearer <key>` or with a line break).
 */
export function registerKey(host: GitHubHost, raw: string): void {
  for (const piece of secretPieces(raw)) host.setSecret(piece);
}

/**
 * The saved runs the post step settles. The main step killed (no `main-finished`): every run or trigger it
 * had not settled. The main step finished after stopping targets: only cancels the platform did not confirm,
 * and triggers of stopped targets still in flight (a trigger that failed with an error started nothing to
 * look for). The main step finished otherwise: none.
 */
export function runsToSettle(finished: string, state: string): SavedRun[] {
  const pending = pendingSavedRuns(state);
  if (finished === '') return pending;
  if (!finished.startsWith(STOPPED_PREFIX)) return [];
  const stopped = new Set(finished.slice(STOPPED_PREFIX.length).split(',').filter((i) => i !== '').map(Number));
  return pending.filter((r) => r.cancel === 'unconfirmed' || (r.runId === undefined && stopped.has(r.index)));
}

/** The core with STATE_RUNS replaced by `runs`: the engine's post-step routine reads its work from there. */
function coreWithRuns(core: CoreApi, runs: readonly SavedRun[]): CoreApi {
  const text = JSON.stringify(runs);
  return {
    info: (m) => core.info(m),
    warning: (m, p) => core.warning(m, p),
    error: (m, p) => core.error(m, p),
    debug: (m) => core.debug(m),
    startGroup: (n) => core.startGroup(n),
    endGroup: () => core.endGroup(),
    setOutput: (n, v) => core.setOutput(n, v),
    setSecret: (v) => core.setSecret(v),
    saveState: (n, v) => core.saveState(n, v),
    getState: (n) => (n === STATE_RUNS ? text : core.getState(n)),
    setFailed: (m) => core.setFailed(m),
    getInput: (n, o) => core.getInput(n, o),
    summary: core.summary,
  };
}

/**
 * The post step. Does nothing (and prints nothing but debug lines) when the main step left nothing to settle
 * (see `runsToSettle`); otherwise cancels, where the platform can, the runs the main step left running,
 * sends again the cancels the platform did not confirm, looks for the runs of triggers that were in flight,
 * and reports the final state it reads. Always resolves to 0: a bad input was already reported by the main
 * step, and a failed cancel is a warning, not a failed job.
 */
export async function runPostStep(deps: StepDeps): Promise<number> {
  const finished = deps.core.getState(STATE_MAIN_FINISHED);
  const runs = runsToSettle(finished, deps.core.getState(STATE_RUNS));
  if (runs.length === 0) {
    deps.core.debug(
      finished === ''
        ? 'orchestration-run post: no unfinished runs saved by the main step; nothing to clean up'
        : 'orchestration-run post: the main step finished; nothing to clean up',
    );
    return 0;
  }
  const core = coreWithRuns(deps.core, runs);

  const host = new GitHubHost({ signal: deps.signal, env: deps.env, core, context: deps.context ?? readRunContext() });
  const raw = rawInputs(core);
  registerKey(host, raw('api-key') ?? '');
  let parsed;
  try {
    parsed = parseSettings(raw, { nameStyle: 'github' });
  } catch (error) {
    const reason = errorText(error);
    host.info(`orchestration-run post: cannot cancel the runs the main step left running: the inputs are not valid (${reason})`);
    return 0;
  }

  host.info(
    finished === ''
      ? 'orchestration-run post: the main step was stopped before it finished; cancelling the runs it left running, where the platform can'
      : 'orchestration-run post: the main step left runs to settle (a cancel not confirmed, or a trigger in flight); settling them, where the platform can',
  );
  try {
    const { cancelSavedRuns } = await loadEngine();
    const cancelled = await cancelSavedRuns(parsed.settings, host, {
      loadProvider: await providerLoader(deps),
      ...(deps.engine?.http ? { http: deps.engine.http } : {}),
    });
    if (cancelled > 0) host.info(`orchestration-run post: cancel requested for ${cancelled} run(s)`);
  } catch (error) {
    host.warning(`orchestration-run post: could not cancel the runs left running: ${errorText(error)}`);
  }
  return 0;
}
