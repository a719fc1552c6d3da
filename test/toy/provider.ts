/** The Toy Flow provider (see platform.ts): typed calls and the Provider seam, in one small file. */
import { ApiError } from '../../src/core/http/index.js';
import type { LogSink } from '../../src/core/logs.js';
import { normalizeStatus, type FailedTask, type StatusTable } from '../../src/core/outcome.js';
import type {
  FindResult,
  InFlight,
  Observation,
  Provider,
  ProviderDeps,
  ProviderModule,
  ResolvedTarget,
  RunHandle,
  TriggerResult,
} from '../../src/core/provider.js';
import type { TargetSpec } from '../../src/core/settings.js';

/** The status words of Toy Flow, in one table. */
export const TOY_STATUS: StatusTable = {
  succeeded: ['done'],
  failed: ['failed'],
  cancelled: ['cancelled'],
  queued: ['queued'],
  running: ['running'],
};

interface ToyTarget extends ResolvedTarget {
  flow: string;
}

interface ToyRun {
  id: string;
  flow: string;
  status: string;
  startedAt?: string;
  endedAt?: string;
}

function toyRun(value: unknown): ToyRun {
  const o = value as Record<string, unknown>;
  if (typeof o?.id !== 'string' || typeof o.status !== 'string') throw new Error('the Toy Flow answer is not a run');
  return {
    id: o.id,
    flow: String(o.flow),
    status: o.status,
    ...(typeof o.startedAt === 'string' && { startedAt: o.startedAt }),
    ...(typeof o.endedAt === 'string' && { endedAt: o.endedAt }),
  };
}

class ToyProvider implements Provider<ToyTarget, RunHandle, string[]> {
  readonly platform = 'toy';
  readonly statusTable = TOY_STATUS;
  readonly adoption = 'equivalent' as const;

  constructor(private readonly deps: ProviderDeps) {}

  async resolve(spec: TargetSpec): Promise<ToyTarget> {
    if (spec.platform !== 'toy') throw new Error(`not a Toy Flow target: ${spec.label}`);
    await this.deps.http.request({ method: 'GET', path: `/toy/flows/${encodeURIComponent(spec.flow)}`, retry: 'safe', phase: 'resolve' });
    return { spec, label: spec.label, flow: spec.flow };
  }

  private async runs(target: ToyTarget, phase: 'baseline' | 'find' | 'check'): Promise<ToyRun[]> {
    const answer = await this.deps.http.request<unknown[]>({ method: 'GET', path: `/toy/flows/${encodeURIComponent(target.flow)}/runs`, retry: 'safe', phase });
    return (answer.data ?? []).map(toyRun);
  }

  async inFlight(target: ToyTarget): Promise<InFlight<RunHandle> | undefined> {
    const busy = (await this.runs(target, 'baseline')).find((r) => r.status === 'queued' || r.status === 'running');
    return busy ? { handle: { runId: busy.id }, description: `run ${busy.id} is ${busy.status}` } : undefined;
  }

  async baseline(target: ToyTarget): Promise<string[]> {
    return (await this.runs(target, 'baseline')).map((r) => r.id);
  }

  async trigger(target: ToyTarget): Promise<TriggerResult<RunHandle>> {
    try {
      const answer = await this.deps.http.request<{ id?: string }>({
        method: 'POST',
        path: `/toy/flows/${encodeURIComponent(target.flow)}/runs`,
        retry: 'unsafe',
        phase: 'trigger',
      });
      return answer.data?.id ? { kind: 'accepted', handle: { runId: answer.data.id } } : { kind: 'accepted' };
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) return { kind: 'already-running', message: 'the flow is already running' };
      throw error;
    }
  }

  async find(target: ToyTarget, baseline: string[]): Promise<FindResult<RunHandle>> {
    const fresh = (await this.runs(target, 'find')).filter((r) => !baseline.includes(r.id)).map((r) => ({ runId: r.id }));
    if (fresh.length === 0) return { kind: 'pending' };
    return { kind: 'found', handle: fresh[0]!, ...(fresh.length > 1 && { others: fresh.slice(1) }) };
  }

  async observe(_target: ToyTarget, handle: RunHandle): Promise<Observation> {
    const answer = await this.deps.http.request({ method: 'GET', path: `/toy/runs/${encodeURIComponent(handle.runId)}`, retry: 'safe', phase: 'follow' });
    const run = toyRun(answer.data);
    return {
      state: normalizeStatus(TOY_STATUS, run.status, run.endedAt !== undefined),
      rawStatus: run.status,
      ...(run.startedAt !== undefined && { startedAt: run.startedAt }),
      ...(run.endedAt !== undefined && { finishedAt: run.endedAt, end: `endedAt ${run.endedAt}` }),
    };
  }

  async failures(target: ToyTarget, handle: RunHandle, observation: Observation, sink: LogSink, options: { fetchLogs: boolean }): Promise<FailedTask[]> {
    const task: FailedTask = { name: target.flow, status: observation.rawStatus, logExcerpt: [], errorLines: [] };
    if (!options.fetchLogs) return [task];
    const answer = await this.deps.http.request({ method: 'GET', path: `/toy/runs/${encodeURIComponent(handle.runId)}/log`, retry: 'safe', phase: 'logs', expect: 'text' });
    const log = sink.open(`${target.label} run ${handle.runId}`);
    for (const line of answer.text.split('\n')) if (line !== '') log.write(line);
    const summary = log.finish();
    return [{ ...task, logExcerpt: summary.excerpt, errorLines: summary.errorLines, logLineCount: summary.count }];
  }

  async handleFor(_target: ToyTarget, runId: string): Promise<RunHandle> {
    return { runId };
  }
}

export const toyProviderModule: ProviderModule = {
  platform: 'toy',
  authHeaders: (apiKey) => ({ Authorization: `Bearer ${apiKey}` }),
  create: (deps) => new ToyProvider(deps) as unknown as Provider,
};
