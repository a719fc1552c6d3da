/**
 * The post step's settling (GitHub runs it after the main step, even when that one was killed): cancels the
 * main step did not see confirmed, and the runs of triggers that were in flight when it stopped.
 */
import { systemClock } from '../clock.js';
import type { Host } from '../host.js';
import { HttpClient, RequestBudget } from '../http/index.js';
import { isTerminal } from '../outcome.js';
import { PollSchedule } from '../poll.js';
import type { FindResult, Observation, ResolvedTarget, RunHandle } from '../provider.js';
import { decodeBaseline, pendingSavedRuns, STATE_INVOCATION, STATE_RUNS } from '../saved-runs.js';
import type { Settings } from '../settings.js';
import { errorText } from '../text.js';
import { waitFor, type Acceptor } from '../wait.js';
import { describe, type AnyProvider, type EngineOptions } from './common.js';

const runEnded: Acceptor<Observation> = { name: 'run ended', state: 'success', matches: (observation) => isTerminal(observation.state) };
const runFound: Acceptor<FindResult<RunHandle>> = { name: 'run found', state: 'success', matches: (result) => result.kind === 'found' };

/**
 * The GitHub post step: settles what the main step left unsettled (it was killed before it could), from the
 * state it saved: retries cancels the platform had not confirmed and reports the run's final state; looks for
 * the run of a trigger that was in flight and cancels it where the platform can prove it is ours. Does nothing
 * when the main step ended normally. Resolves to the number of cancels the platform accepted.
 */
export async function cancelSavedRuns(
  settings: Settings,
  host: Host,
  options: Pick<EngineOptions, 'loadProvider' | 'http' | 'clock'> & { findWindowMs?: number; settleWindowMs?: number },
): Promise<number> {
  const saved = pendingSavedRuns(host.getState(STATE_RUNS));
  if (saved.length === 0) return 0;
  host.setSecret(settings.apiKey);
  const clock = options.clock ?? systemClock;
  const module = await options.loadProvider(settings.platform);
  const http = new HttpClient({
    // The platform's documented limit too: the post step may run while other jobs spend the same key.
    budget: new RequestBudget(clock, module.requestLimit),
    baseUrl: settings.baseUrl,
    headers: module.authHeaders(settings.apiKey),
    proxy: host.proxy,
    secrets: [settings.apiKey],
    log: (m) => host.debug(m),
    notice: (m) => host.info(m),
    requestTimeoutMs: 10_000,
    retry: { maxAttempts: 3 },
    ...options.http,
  });
  const invocation = host.getState(STATE_INVOCATION) || host.ciContext.invocation;
  const provider = module.create({
    http,
    settings,
    ciContext: invocation ? { ...host.ciContext, invocation } : host.ciContext,
    clock,
    signal: host.signal,
    log: { info: (m) => host.info(m), warn: (m) => host.warning(m), debug: (m) => host.debug(m) },
  }) as AnyProvider;
  let cancelled = 0;
  const schedule = () => new PollSchedule({ maxDelayMs: 2000, firstDelayMs: 300 });
  /** Waits on the host's signal, reading once more when the window closes; a cancellation ends it with its reason. */
  const wait = async <O>(read: () => Promise<O>, accept: Acceptor<O>, windowMs: number) => {
    const until = clock.now() + windowMs;
    const windowClosed: Acceptor<O> = { name: 'window closed', state: 'failure', matches: (_o, now) => now >= until };
    const gaps = schedule();
    const result = await waitFor({ read, accept: [accept, windowClosed], schedule: () => gaps.next(), windowEnd: until, signal: host.signal, clock });
    if (result.state === 'aborted') throw result.reason;
    if (result.state === 'timeout') throw new Error('internal: a wait without a deadline timed out');
    return result;
  };
  /** Reads the run until it ends or the window closes; one line for the report. */
  const finalState = async (target: ResolvedTarget, handle: RunHandle): Promise<string> => {
    const result = await wait(() => provider.observe(target, handle), runEnded, options.settleWindowMs ?? 15_000);
    const last = result.observation;
    return result.state === 'success' ? `run ${handle.runId} ended ${describe(last)}` : `run ${handle.runId} is still ${describe(last)}; it may keep going on the server`;
  };
  try {
    for (const run of saved) {
      const spec = settings.targets[run.index];
      if (!spec) continue;
      try {
        const target = await provider.resolve(spec);
        let handle: RunHandle | undefined;
        let ours = true;
        if (run.runId !== undefined) {
          if (!provider.handleFor) throw new Error(`${settings.platform} cannot read run ${run.runId} by its id`);
          handle = await provider.handleFor(target, run.runId);
        } else if (run.trigger) {
          // The main step was stopped while its trigger was in flight: look for the run it may have started.
          const baseline = decodeBaseline(run.trigger.baseline);
          const looked = await wait(() => provider.find(target, baseline), runFound, options.findWindowMs ?? 20_000);
          const found = looked.observation;
          if (found.kind === 'found') {
            handle = found.handle;
            // Only a run that carries our own marker is proven ours; an equivalent run may be someone else's.
            ours = provider.adoption === 'own-marker' && !found.others?.length;
            host.info(
              `${spec.label}: the main step was stopped while its trigger (sent ${run.trigger.sentAt}) was in flight; found run ${handle.runId}` +
                (found.identity ? ` (${found.identity})` : ''),
            );
          }
          if (!handle) {
            host.warning(
              `${spec.label}: the main step was stopped while its trigger (sent ${run.trigger.sentAt}) was in flight, and no run it started was found; check ${settings.platform} for a run that started then`,
            );
            continue;
          }
        }
        if (!handle) continue;
        const found = handle;
        const stateLine = () => finalState(target, found).catch((e: unknown) => `the state of run ${found.runId} could not be read: ${errorText(e)}`);
        if (!ours) {
          host.warning(`${spec.label}: run ${found.runId} cannot be proven to be this step's own, so it is not cancelled; ${await stateLine()}`);
          continue;
        }
        if (!provider.cancel) {
          host.warning(`${spec.label}: the main step ended before run ${found.runId} did; ${settings.platform} offers no way to cancel it, so it keeps going on the server`);
          continue;
        }
        const report = await provider.cancel(target, found);
        const retry = run.cancel === 'unconfirmed' ? " (the main step's cancel was not confirmed: sent again)" : '';
        host.info(`${spec.label}: ${report.note}${retry}`);
        if (report.accepted) cancelled++;
        host.info(`${spec.label}: ${await stateLine()}`);
      } catch (error) {
        host.warning(`${spec.label}: could not settle ${run.runId !== undefined ? `run ${run.runId}` : 'the trigger in flight'}: ${errorText(error)}`);
      }
    }
  } finally {
    await http.close();
  }
  return cancelled;
}
