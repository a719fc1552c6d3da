/**
 * The main step of the GitHub Action, free of process wiring (signals, exit) so tests can drive it with a
 * recording `core`: validate the inputs, run the step, report, and, when asked, comment on the pull request.
 *
 * The engine and the providers (with their HTTP client) are imported only once the inputs are valid: an
 * input error, the most common failure, is reported without loading them (steps.ts). Octokit, for the
 * pull-request comment, is in a chunk of its own (pr-comment.ts), read only when a comment is asked for.
 */
import { InputError, parseBoolean, prepareOutputPaths, type RawInputs } from '../../core/inputs/index.js';
import { parseSettings } from '../../providers/registry.js';
import { GITHUB_ONLY_INPUTS } from './inputs.js';
import type { Settings } from '../../core/settings.js';
import { readRunContext, type RunContext } from './context.js';
import { GitHubHost } from './host.js';
import { CANCEL_BUDGET_MS, loadEngine, providerLoader, rawInputs, registerKey, STATE_MAIN_FINISHED, STOPPED_PREFIX, type StepDeps } from './steps.js';
import { errorText } from '../../core/text.js';

/** The pull-request comment, loaded only when asked for (with octokit, in a chunk of its own). */
async function loadPrComment() {
  return import(/* webpackChunkName: "pr-comment" */ './pr-comment.js');
}

/** The GitHub-only inputs (GITHUB_ONLY_INPUTS): whether to comment on the pull request, and with which token. */
export interface GitHubOnlyInputs {
  prComment: boolean;
  githubToken: string;
}

function gitHubOnlyDefault(name: string): string {
  return GITHUB_ONLY_INPUTS.find((d) => d.name === name)?.default ?? '';
}

/** Checked like the other inputs: one line naming the input and showing a right value, before any request. */
export function parseGitHubOnlyInputs(raw: RawInputs): GitHubOnlyInputs {
  const text = raw('pr-comment')?.trim() || gitHubOnlyDefault('pr-comment');
  let prComment: boolean;
  try {
    prComment = parseBoolean(text);
  } catch (error) {
    throw new InputError('pr-comment', `Input 'pr-comment': ${(error as Error).message}. Example: true`);
  }
  const githubToken = raw('github-token')?.trim() ?? '';
  if (prComment && githubToken === '') {
    throw new InputError(
      'github-token',
      "Input 'github-token' is empty, and pr-comment: true needs a token that may write pull requests. Example: ${{ secrets.GITHUB_TOKEN }}",
    );
  }
  return { prComment, githubToken };
}

/** The main step. Resolves to the process exit code (0 or 1); failures are reported through `core.setFailed`. */
export async function runMainStep(deps: StepDeps): Promise<number> {
  const { core } = deps;
  const context = deps.context ?? readRunContext();
  const host = new GitHubHost({ signal: deps.signal, env: deps.env, core, context });
  const raw = rawInputs(core);
  registerKey(host, raw('api-key') ?? '');

  let parsed;
  let gitHubOnly: GitHubOnlyInputs;
  try {
    parsed = parseSettings(raw, { nameStyle: 'github' });
    gitHubOnly = parseGitHubOnlyInputs(raw);
    // The runner masks its own workflow token; a token given another way is registered as well.
    if (gitHubOnly.prComment) host.setSecret(gitHubOnly.githubToken);
    // Output files are checked (their folders created) before the first request.
    prepareOutputPaths(parsed.settings, { nameStyle: 'github' });
  } catch (error) {
    if (error instanceof InputError) {
      // A later step that reads `status` (if: always()) sees the step failed, not an empty value.
      host.setOutput('status', 'failed');
      core.setFailed(host.cleanLine(error.message));
      // Nothing was started: the post step has nothing to do.
      core.saveState(STATE_MAIN_FINISHED, 'true');
      return 1;
    }
    throw error;
  }
  for (const warning of parsed.warnings) host.warning(warning);
  if (deps.signal.aborted) {
    host.setOutput('status', 'cancelled');
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
  // Whatever was left running was handled (or reported) by the engine itself, except what only the post step
  // can settle for a stopped target: a cancel the platform did not confirm, a trigger whose run was not seen.
  const stopped = outcome.results.flatMap((r, i) => (r.status === 'cancelled' || r.status === 'timed-out' ? [i] : []));
  core.saveState(STATE_MAIN_FINISHED, stopped.length === 0 ? 'true' : `${STOPPED_PREFIX}${stopped.join(',')}`);
  if (gitHubOnly.prComment) await commentOnPullRequest(deps, host, context, parsed.settings, gitHubOnly.githubToken);
  if (outcome.exitCode !== 0) {
    core.setFailed(host.cleanLine(outcome.failureLine ?? `orchestration-run: the step ended ${outcome.status}`));
    return 1;
  }
  return 0;
}

/** The pull-request comment, when asked for; never while the job is being cancelled (the step has seconds left). */
async function commentOnPullRequest(deps: StepDeps, host: GitHubHost, context: RunContext, settings: Settings, token: string): Promise<void> {
  if (deps.signal.aborted) {
    host.info('pr-comment: the job is being cancelled: no comment posted');
    return;
  }
  const summary = host.summaryText;
  if (summary === undefined) {
    host.info('pr-comment: the step wrote no summary: no comment posted');
    return;
  }
  let postPullRequestComment;
  try {
    ({ postPullRequestComment } = await loadPrComment());
  } catch (error) {
    host.warning(`pr-comment: could not load the comment code: ${errorText(error)}`);
    return;
  }
  await postPullRequestComment({
    host,
    context,
    settings,
    token,
    summary,
    signal: deps.signal,
    ...(deps.commentTimeoutMs !== undefined ? { timeoutMs: deps.commentTimeoutMs } : {}),
  });
}
