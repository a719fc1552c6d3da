/**
 * The Azure DevOps task from inputs to result: read the inputs and the chosen service connection, register
 * the key before anything is printed, validate, run the engine, publish outputs and summary, set the result.
 * Platform-specific only through the TaskLib handed in by main.ts (or a test).
 */
import { runStep, type EngineOptions } from '../../core/engine/index.js';
import { EXIT } from '../../core/outcome.js';
import { InputError, prepareOutputPaths } from '../../core/inputs/index.js';
import { INPUTS, PLATFORMS, parseSettings } from '../../providers/registry.js';
import type { ProviderLoader } from '../../core/provider.js';
import { AgentConsole, AzureHost, agentProxy, type Env, type TaskLib } from './host.js';
import { connectionInputName } from './task-metadata.js';
import { secretPieces } from '../../core/untrusted.js';
import { signalHandler } from '../entry.js';
import { taskSignals } from './process.js';
import { errorText } from '../../core/text.js';

export interface TaskRunOptions {
  tl: TaskLib;
  console: AgentConsole;
  env: Env;
  signal: AbortSignal;
  loadProvider: ProviderLoader;
  /** Engine overrides (tests). */
  engine?: Partial<EngineOptions>;
  /** Hands out the host as soon as it exists (the cancellation backstop writes what it knows through it). */
  onHost?: (host: AzureHost) => void;
}

/** Makes sure the task's result is set once, whoever gets there first (the run, or the signal backstop). */
export class TaskCompletion {
  private done = false;

  constructor(private readonly tl: Pick<TaskLib, 'setResult' | 'TaskResult'>) {}

  get isSet(): boolean {
    return this.done;
  }

  succeeded(message: string): void {
    if (this.done) return;
    this.done = true;
    this.tl.setResult(this.tl.TaskResult.Succeeded, message);
  }

  failed(message: string): void {
    if (this.done) return;
    this.done = true;
    this.tl.setResult(this.tl.TaskResult.Failed, message);
  }
}

interface ConnectionValues {
  apiKeyFallback?: string;
  baseUrlFallback?: string;
  /** Problems with the connection inputs, raised as warnings once output is released. */
  warnings: string[];
}

/**
 * The service connection of the chosen platform: its URL and token feed the fallbacks of baseUrl and apiKey.
 * A connection set for another platform is reported, not used.
 */
function readConnection(tl: TaskLib, raw: Map<string, string | undefined>): ConnectionValues {
  const result: ConnectionValues = { warnings: [] };
  const platform = PLATFORMS.find((p) => p === raw.get('platform')?.trim().toLowerCase());
  for (const other of PLATFORMS) {
    const input = connectionInputName(other);
    const id = tl.getInput(input)?.trim();
    if (!id) continue;
    if (other !== platform) {
      // An unknown platform fails validation with its own message; no need to add to it.
      if (platform) result.warnings.push(`Input '${input}' is ignored: platform is ${platform}, not ${other}`);
      continue;
    }
    result.baseUrlFallback = tl.getEndpointUrl(id, true)?.trim() || undefined;
    const token = tl.getEndpointAuthorizationParameter(id, 'apitoken', true);
    if (token) result.apiKeyFallback = token;
    else result.warnings.push(`The service connection in '${input}' has no API token; edit the service connection and enter the API key`);
  }
  return result;
}

/** Runs the task and returns the process exit code; the result is set through `completion`. */
export async function runTask(options: TaskRunOptions, completion: TaskCompletion): Promise<number> {
  const { tl, console: out, env, signal } = options;
  // Nothing reaches stdout until the key is registered: task-lib prints every input it reads.
  out.hold();
  tl.setStdStream(out.stream);
  const host = new AzureHost({ tl, console: out, env, signal });
  options.onHost?.(host);
  let released = false;
  try {
    const raw = new Map<string, string | undefined>();
    for (const def of INPUTS) raw.set(def.name, tl.getInput(def.azureName));
    const connection = readConnection(tl, raw);
    // The key as given, trimmed and in its longer pieces (a key pasted as `Bearer <key>`), as every front end.
    for (const secret of [raw.get('api-key'), connection.apiKeyFallback].flatMap((value) => secretPieces(value))) host.setSecret(secret);
    const agentProxyPassword = tl.getHttpProxyConfiguration()?.proxyPassword;
    if (agentProxyPassword) host.setSecret(agentProxyPassword);
    out.release();
    released = true;

    for (const warning of connection.warnings) host.warning(warning, { title: 'orchestration-run' });
    if (raw.get('api-key')?.trim() && connection.apiKeyFallback) {
      host.warning("Both 'apiKey' and a service connection are set: using 'apiKey'", { title: 'orchestration-run' });
    }

    let parsed;
    try {
      parsed = parseSettings((name) => raw.get(name), {
        nameStyle: 'azure',
        apiKeyFallback: connection.apiKeyFallback,
        baseUrlFallback: connection.baseUrlFallback,
      });
      // Output files are checked (their folders created) before the first request.
      prepareOutputPaths(parsed.settings, { nameStyle: 'azure' });
    } catch (error) {
      if (error instanceof InputError) {
        completion.failed(host.oneLine(error.message));
        return EXIT.badInput;
      }
      throw error;
    }
    const { settings } = parsed;
    host.known = { platform: settings.platform, mode: settings.mode, targets: settings.targets.map((t) => t.label) };
    host.proxy = agentProxy(tl, settings.baseUrl);
    for (const warning of parsed.warnings) host.warning(warning, { title: 'orchestration-run' });

    const outcome = await runStep(settings, host, { loadProvider: options.loadProvider, ...options.engine });
    if (outcome.exitCode === EXIT.succeeded) {
      completion.succeeded(host.oneLine(`${outcome.status}: ${describeTargets(outcome.results.length)} (${settings.platform}, mode ${settings.mode})`));
    } else {
      completion.failed(host.oneLine(outcome.failureLine ?? outcome.status));
    }
    return outcome.exitCode;
  } catch (error) {
    if (!released) out.release();
    // Never a stack trace, never a pass on an unexpected fault.
    const message = errorText(error);
    completion.failed(host.oneLine(`orchestration-run: internal error: ${message}`));
    return EXIT.failed;
  }
}

function describeTargets(count: number): string {
  return count === 1 ? '1 target' : `${count} targets`;
}

export { CANCEL_GRACE_MS } from './process.js';

export interface CancellationOptions {
  console: AgentConsole;
  completion: TaskCompletion;
  controller: AbortController;
  /** process.exit, or a stand-in in tests. */
  exit: (code: number) => void;
  graceMs?: number;
  /** The host, once there is one: what it knows is written before an early exit. */
  host?: () => AzureHost | undefined;
}

/**
 * The task's signal listener on its own (the process installs it through ../entry.ts with process.ts): the
 * first signal aborts `controller`, a second one or the grace time passing exits early, writing what the
 * host knows and setting the result (see process.ts).
 */
export function cancellationHandler(options: CancellationOptions): (signal: string) => void {
  const parts = () => ({ console: options.console, completion: options.completion, host: options.host?.() });
  return signalHandler({ ...taskSignals(parts, options.graceMs), controller: options.controller, exit: options.exit });
}
