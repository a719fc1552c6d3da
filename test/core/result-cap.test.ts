/** The `result` output stays within the CI platforms' limits; the full JSON goes to the result file. */
import { cappedResultJson, resultJson, RESULT_OUTPUT_MAX_CHARS } from '../../src/core/report.js';
import type { TargetResult } from '../../src/core/outcome.js';

function bigResult(targets: number, tasks: number, lines: number): TargetResult[] {
  return Array.from({ length: targets }, (_, i) => ({
    target: `finance/Package/${1000 + i}`,
    platform: 'timextender',
    runId: String(97_000 + i),
    status: 'failed' as const,
    rawStatus: 'Failed',
    message: `run ${97_000 + i} ended Failed (failed); ${'x'.repeat(500)}`,
    evidence: { identity: { ok: true, detail: 'a new run: not in the baseline taken just before the trigger' }, success: { ok: false, detail: 'Failed is not a success word (failed)' } },
    failedTasks: Array.from({ length: tasks }, (_, t) => ({
      name: `Task ${t}`,
      type: 'Package',
      id: String(t),
      status: 'Failed',
      logExcerpt: Array.from({ length: lines }, (_, l) => `ERROR: line ${l} ${'y'.repeat(120)}`),
      errorLines: [],
    })),
  }));
}

describe('result output cap', () => {
  test('a small result is the full JSON', () => {
    const results = bigResult(1, 1, 3);
    expect(cappedResultJson(results)).toBe(resultJson(results));
  });

  test.each([
    [1, 40, 200],
    [30, 10, 200],
    [300, 2, 10],
    [5000, 1, 1],
  ])('%i targets × %i failed tasks × %i log lines fit in the cap and stay valid JSON', (targets, tasks, lines) => {
    const results = bigResult(targets, tasks, lines);
    expect(resultJson(results).length).toBeGreaterThan(RESULT_OUTPUT_MAX_CHARS);
    const capped = cappedResultJson(results);
    expect(capped.length).toBeLessThanOrEqual(RESULT_OUTPUT_MAX_CHARS);
    const parsed = JSON.parse(capped) as Array<Record<string, unknown>>;
    expect(parsed.every((o) => o.truncated === true)).toBe(true);
    expect(parsed.every((o) => o.status === 'failed')).toBe(true);
  });

  test('when it must shorten, each target keeps its status, run id, evidence and failed task names first', () => {
    const results = bigResult(3, 40, 200);
    const parsed = JSON.parse(cappedResultJson(results)) as Array<{ runId: string; evidence?: unknown; failedTasks: Array<{ name: string }> }>;
    expect(parsed.map((o) => o.runId)).toEqual(['97000', '97001', '97002']);
    expect(parsed[0]!.evidence).toBeDefined();
    expect(parsed[0]!.failedTasks[0]!.name).toBe('Task 0');
  });
});
