/**
 * The two steps of the GitHub Action, free of process wiring (signals, exit) so tests can drive them with a
 * recording `core`: the main step (validate, run, report) and the post step (cancel what a killed main step
 * left running).
 *
 * The engine and the providers (with their HTTP client) are imported only once the inputs are valid: an
 * input error, the most common failure, is reported without loading them. The imports are "eager" so the
 * bundler keeps one file per entry (evaluated on first use, not split into chunks).
 */
import type { EngineOptions } from '../../core/engine.js';
import { InputError, parseSettings, type RawInputs } from '../../core/inputs.js';
import { STATE_RUNS } from '../../core/saved-runs.js';
import type { ProviderLoader } from '../../providers/provider.js';
import { GitHubHost, type CoreApi } from './host.js';

/** Saved by the main step once it has finished (whatever the outcome), so the post step stays quiet. */
export const STATE_MAIN_FINISHED = 'main-finished';

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
}

/** The engine, loaded on first use. */
async function loadEngine() {
  return import(/* webpackMode: "eager" */ '../../core/engine.js');
}

/** The provider loader given by a test, else the real one, loaded on first use. */
async function providerLoader(deps: StepDeps): Promise<ProviderLoader> {
  return deps.loadProvider ?? (await import(/* webpackMode: "eager" */ '../../providers/index.js')).loadProvider;
}

/** Raw inputs as the runner passes them (`INPUT_<NAME>`), untrimmed so line numbers in messages stay right. */
function rawInputs(core: CoreApi): RawInputs {
  return (name) => core.getInput(name, { trimWhitespace: false });
}

/**
 * Registers the key as a secret before anything is printed: the raw value, the trimmed one and every
 * longer whitespace-separated piece (a key pasted as `Bearer <key>` or with a line break).
 */
function registerKey(host: GitHubHost, raw: string): void {
  if (raw.trim() === '') return;
  host.setSecret(raw);
  host.setSecret(raw.trim());
  for (const piece of raw.split(/\s+/)) if (piece.length >= 8) host.setSecret(piece);
}

/** The main step. Resolves to the process exit code (0 or 1); failures are reported through `core.setFailed`. */
export async function runMainStep(deps: StepDeps): Promise<number> {
  const { core } = deps;
  const host = new GitHubHost({ signal: deps.signal, env: deps.env, core });
  const raw = rawInputs(core);
  registerKey(host, raw('api-key') ?? '');

  let parsed;
  try {
    parsed = parseSettings(raw, { nameStyle: 'github' });
  } catch (error) {
    if (error instanceof InputError) {
      core.setFailed(host.cleanLine(error.message));
      // Nothing was started: the post step has nothing to do.
      core.saveState(STATE_MAIN_FINISHED, 'true');
      return 1;
    }
    throw error;
  }
  for (const warning of parsed.warnings) host.warning(warning);
  if (deps.signal.aborted) {
    core.setFailed('orchestration-run: the job was cancelled before the step started; nothing was triggered');
    core.saveState(STATE_MAIN_FINISHED, 'true');
    return 1;
  }

  const { runStep } = await loadEngine();
  const outcome = await runStep(parsed.settings, host, {
    cancelBudgetMs: CANCEL_BUDGET_MS,
    ...deps.engine,
    loadProvider: await providerLoader(deps),
  });
  // From here on, whatever was left running was handled (or reported) by the engine itself.
  core.saveState(STATE_MAIN_FINISHED, 'true');
  if (outcome.exitCode !== 0) {
    core.setFailed(host.cleanLine(outcome.failureLine ?? `orchestration-run: the step ended ${outcome.status}`));
    return 1;
  }
  return 0;
}

interface SavedRunLike {
  runId?: unknown;
  done?: unknown;
}

/** The runs the main step saved that had not ended when it last wrote its state. */
function unfinishedRuns(state: string): number {
  try {
    const value: unknown = JSON.parse(state);
    if (!Array.isArray(value)) return 0;
    return (value as SavedRunLike[]).filter((r) => typeof r?.runId === 'string' && r.done !== true).length;
  } catch {
    return 0;
  }
}

/**
 * The post step. Does nothing (and prints nothing but debug lines) when the main step finished; otherwise
 * cancels, where the platform can, the runs the main step saved as not done. Always resolves to 0: a bad
 * input was already reported by the main step, and a failed cancel is a warning, not a failed job.
 */
export async function runPostStep(deps: StepDeps): Promise<number> {
  const { core } = deps;
  if (core.getState(STATE_MAIN_FINISHED) === 'true') {
    core.debug('orchestration-run post: the main step finished; nothing to clean up');
    return 0;
  }
  const saved = core.getState(STATE_RUNS);
  if (!saved || unfinishedRuns(saved) === 0) {
    core.debug('orchestration-run post: no unfinished runs saved by the main step; nothing to clean up');
    return 0;
  }

  const host = new GitHubHost({ signal: deps.signal, env: deps.env, core });
  const raw = rawInputs(core);
  registerKey(host, raw('api-key') ?? '');
  let parsed;
  try {
    parsed = parseSettings(raw, { nameStyle: 'github' });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    host.info(`orchestration-run post: cannot cancel the runs the main step left running: the inputs are not valid (${reason})`);
    return 0;
  }

  host.info('orchestration-run post: the main step was stopped before it finished; cancelling the runs it left running, where the platform can');
  try {
    const { cancelSavedRuns } = await loadEngine();
    const cancelled = await cancelSavedRuns(parsed.settings, host, {
      loadProvider: await providerLoader(deps),
      ...(deps.engine?.http ? { http: deps.engine.http } : {}),
    });
    if (cancelled > 0) host.info(`orchestration-run post: cancel requested for ${cancelled} run(s)`);
  } catch (error) {
    host.warning(`orchestration-run post: could not cancel the runs left running: ${error instanceof Error ? error.message : String(error)}`);
  }
  return 0;
}
