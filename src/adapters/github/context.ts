/**
 * The workflow run's context, as `@actions/github` reads it (its `Context`: the runner's GITHUB_* variables
 * and the event payload), for traceability (run URL, commit, actor, workflow, job and step) and the
 * pull-request comment (pull-request number).
 *
 * `@actions/github` exports `context` only from its main module, which also loads octokit, its HTTP client
 * and a second copy of undici: tens of milliseconds on every start, for a comment most steps do not post.
 * So the `Context` class is imported from its own file by path (the package's `exports` list it only with
 * the rest), and the main module is loaded only when a comment is asked for (pr-comment.ts). Under
 * `@github/local-action`, which replaces the main module's `context`, this reads the same variables.
 */
import { Context } from '../../../node_modules/@actions/github/lib/context.js';
import type { CiContext } from '../../core/settings.js';

/** What this action reads of the context; tests pass plain objects of this shape. */
export interface RunContext {
  serverUrl: string;
  runId: number;
  runAttempt: number;
  sha?: string | undefined;
  actor?: string | undefined;
  workflow?: string | undefined;
  job?: string | undefined;
  action?: string | undefined;
  eventName?: string | undefined;
  apiUrl: string;
  payload: { pull_request?: { number?: unknown } | undefined; issue?: { number?: unknown; pull_request?: unknown } | undefined; [key: string]: unknown };
  /** `owner/name`; undefined when neither GITHUB_REPOSITORY nor the payload names one. */
  repository?: string | undefined;
}

/** The context of this process, read once from the environment (and the event payload file). */
export function readRunContext(): RunContext {
  const context = hydrate();
  let repository: string | undefined;
  try {
    const { owner, repo } = context.repo;
    repository = owner && repo ? `${owner}/${repo}` : undefined;
  } catch {
    // Outside a workflow run: no repository.
  }
  return {
    serverUrl: context.serverUrl,
    runId: context.runId,
    runAttempt: context.runAttempt,
    sha: context.sha,
    actor: context.actor,
    workflow: context.workflow,
    job: context.job,
    action: context.action,
    eventName: context.eventName,
    apiUrl: context.apiUrl,
    payload: context.payload as RunContext['payload'],
    repository,
  };
}

/**
 * `new Context()`, which throws when the event payload file is not JSON: the step then goes on without the
 * payload (no pull-request number) rather than failing a data load over a runner file.
 */
function hydrate(): Context {
  try {
    return new Context();
  } catch {
    const path = process.env.GITHUB_EVENT_PATH;
    delete process.env.GITHUB_EVENT_PATH;
    try {
      return new Context();
    } finally {
      process.env.GITHUB_EVENT_PATH = path;
    }
  }
}

/** A number the context parsed (`NaN` when the variable is missing) as text, or undefined. */
function numberText(value: number): string | undefined {
  return Number.isFinite(value) ? String(value) : undefined;
}

function text(value: string | undefined): string | undefined {
  return value ? value : undefined;
}

/** Where the step runs, for the core (summary footer, comments and metadata sent to the platforms, idempotency keys). */
export function ciContextOf(context: RunContext): CiContext {
  const server = (text(context.serverUrl) ?? 'https://github.com').replace(/\/+$/, '');
  const repository = text(context.repository);
  const runId = numberText(context.runId);
  const attempt = numberText(context.runAttempt);
  const ci: CiContext = { system: 'github' };
  if (repository && runId) ci.runUrl = `${server}/${repository}/actions/runs/${runId}${attempt ? `/attempts/${attempt}` : ''}`;
  const set = (key: 'runId' | 'attempt' | 'commit' | 'actor' | 'workflow' | 'repository', value: string | undefined) => {
    if (value !== undefined) ci[key] = value;
  };
  set('runId', runId);
  set('attempt', attempt);
  set('commit', text(context.sha));
  set('actor', text(context.actor));
  set('workflow', text(context.workflow));
  set('repository', repository);
  const job = text(context.job);
  const action = text(context.action);
  if (job || action) ci.step = `${job ?? ''}/${action ?? ''}`;
  return ci;
}

/**
 * The pull request the run is for: `pull_request` and `pull_request_target` events (and the review events)
 * carry it in the payload; a comment event on a pull request carries it as an issue with a `pull_request`
 * link. Undefined for every other event (push, schedule…).
 */
export function pullRequestNumber(context: RunContext): number | undefined {
  const fromPr = context.payload.pull_request?.number;
  if (typeof fromPr === 'number' && Number.isSafeInteger(fromPr) && fromPr > 0) return fromPr;
  const issue = context.payload.issue;
  if (issue?.pull_request && typeof issue.number === 'number' && Number.isSafeInteger(issue.number) && issue.number > 0) return issue.number;
  return undefined;
}
