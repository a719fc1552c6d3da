/**
 * The Toy Flow simulator module (see platform.ts): flows with a scripted outcome, runs that are queued for
 * 50 ms of simulated time, then run for the flow's duration, on the simulator's clock.
 */
import type { SimClock, SimModule, SimRequest, SimResponse } from '../../src/simulator/index.js';
import { findRoute } from '../../src/simulator/router.js';

export interface ToyFlow {
  outcome: 'done' | 'failed';
  durationMs: number;
  log: string[];
}

interface ToyRunRecord {
  id: string;
  flow: string;
  createdAt: number;
}

const QUEUED_MS = 50;

type Handler = (params: Record<string, string>, res: SimResponse) => void;

export class ToySimModule implements SimModule {
  readonly name = 'toy';
  readonly flows = new Map<string, ToyFlow>();
  readonly runs: ToyRunRecord[] = [];
  private readonly routes: Array<{ method: string; pattern: string[]; handler: Handler }> = [
    { method: 'GET', pattern: ['flows', ':flow'], handler: (p, r) => this.flow(p, r, () => r.json(200, { id: p.flow })) },
    { method: 'GET', pattern: ['flows', ':flow', 'runs'], handler: (p, r) => this.flow(p, r, () => r.json(200, this.runsOf(p.flow!))) },
    { method: 'POST', pattern: ['flows', ':flow', 'runs'], handler: (p, r) => this.flow(p, r, () => r.json(201, this.start(p.flow!))) },
    { method: 'GET', pattern: ['runs', ':id'], handler: (p, r) => this.run(p, r, (run) => r.json(200, this.view(run))) },
    { method: 'GET', pattern: ['runs', ':id', 'log'], handler: (p, r) => this.run(p, r, (run) => r.text(200, 'text/plain', this.logOf(run))) },
  ];

  constructor(
    private readonly clock: SimClock,
    private readonly key: string,
  ) {}

  claims(req: SimRequest): boolean {
    return req.path.startsWith('/toy/');
  }

  handle(req: SimRequest, res: SimResponse): boolean {
    if (!this.claims(req)) return false;
    if (req.headers.authorization !== `Bearer ${this.key}`) {
      res.json(401, { error: 'unauthorized' });
      return true;
    }
    const segments = req.path.slice('/toy/'.length).split('/').map((s) => decodeURIComponent(s));
    const match = findRoute(this.routes, req.method, segments);
    if (match.kind === 'found') match.route.handler(match.params, res);
    else if (match.kind === 'method-not-allowed') res.json(405, { error: 'method not allowed' }, { allow: match.allowed.join(', ') });
    else res.json(404, { error: 'no such route' });
    return true;
  }

  private flow(params: Record<string, string>, res: SimResponse, then: () => void): void {
    if (!this.flows.has(params.flow!)) res.json(404, { error: `no flow ${params.flow}` });
    else then();
  }

  private run(params: Record<string, string>, res: SimResponse, then: (run: ToyRunRecord) => void): void {
    const run = this.runs.find((r) => r.id === params.id);
    if (!run) res.json(404, { error: `no run ${params.id}` });
    else then(run);
  }

  private start(flow: string): { id: string } {
    const run = { id: `r${this.runs.length + 1}`, flow, createdAt: this.clock.now() };
    this.runs.push(run);
    return { id: run.id };
  }

  private runsOf(flow: string): unknown[] {
    return this.runs.filter((r) => r.flow === flow).reverse().map((r) => this.view(r));
  }

  private view(run: ToyRunRecord): Record<string, string> {
    const flow = this.flows.get(run.flow)!;
    const now = this.clock.now();
    const startedAt = run.createdAt + QUEUED_MS;
    const endedAt = startedAt + flow.durationMs;
    if (now < startedAt) return { id: run.id, flow: run.flow, status: 'queued' };
    const started = new Date(startedAt).toISOString();
    if (now < endedAt) return { id: run.id, flow: run.flow, status: 'running', startedAt: started };
    return { id: run.id, flow: run.flow, status: flow.outcome, startedAt: started, endedAt: new Date(endedAt).toISOString() };
  }

  private logOf(run: ToyRunRecord): string {
    return `${this.flows.get(run.flow)!.log.join('\n')}\n`;
  }
}
