/** Shared helpers of the simulator self-tests: a frozen-clock simulator with the demo world, and fetch shorthands. */
import { seedDemoWorld, type DemoWorld } from '../../src/simulator/demo-world.js';
import { startSimulator, TDP_PREFIX, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

/** 2026-03-15T08:30:00Z, which is 2026-03-15T22:30:00 in Pacific/Kiritimati (UTC+14). */
export const START_EPOCH_MS = Date.UTC(2026, 2, 15, 8, 30, 0);

export interface TestWorld {
  sim: Simulator;
  demo: DemoWorld;
  /** Full URL of a TDP path relative to /api/v0/orchestration. */
  api(path: string): string;
  get(path: string, key?: string | null, headers?: Record<string, string>): Promise<Response>;
  post(path: string, body?: unknown, key?: string | null): Promise<Response>;
  getJson<T = unknown>(path: string, key?: string | null): Promise<T>;
}

/** Time is frozen (timeScale 0): only `sim.clock.advance` moves runs, so every test is deterministic. */
export async function startTestWorld(options: SimulatorOptions = {}): Promise<TestWorld> {
  const sim = await startSimulator({ timeScale: 0, startEpochMs: START_EPOCH_MS, ...options });
  const demo = seedDemoWorld(sim);
  const api = (path: string) => `${sim.url}${TDP_PREFIX}${path}`;
  const keyHeader = (key: string | null | undefined): Record<string, string> =>
    key === null ? {} : { 'X-API-Key': key ?? demo.tdpKey };
  const get = (path: string, key?: string | null, headers: Record<string, string> = {}) =>
    fetch(api(path), { headers: { ...keyHeader(key), ...headers } });
  const post = (path: string, body: unknown = { uat: 'Production' }, key?: string | null) =>
    fetch(api(path), {
      method: 'POST',
      headers: { ...keyHeader(key), 'Content-Type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const getJson = async <T,>(path: string, key?: string | null): Promise<T> => {
    const res = await get(path, key);
    if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  return { sim, demo, api, get, post, getJson };
}

export interface ExecutionJson {
  executionId: number;
  startTime: string;
  endTime: string | null;
  status: string;
  durationSeconds: number | null;
}

export interface TaskJson {
  taskId: number;
  taskName: string;
  taskType: string;
  status: string | null;
  processMapId: number | null;
  processMapName: string | null;
  lastExecutionStartTime: string | null;
  lastExecutionEndTime: string | null;
}

export interface ProcessMapJson {
  processMapId: number;
  name: string;
  workspace: string;
  lastExecutionDate: string | null;
  successfulTasks: number;
  failedTasks: number;
  runningTasks: number;
  queuedTasks: number;
  disabledTasks: number;
}

export const TRACE_ID = /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/;

/** Asserts an RFC 9110 problem answer and returns its body. */
export async function expectProblem(res: Response, status: number): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status });
  expect(typeof body['type']).toBe('string');
  expect(typeof body['title']).toBe('string');
  expect(body['traceId']).toMatch(TRACE_ID);
  return body;
}
