/**
 * JUnit XML for test reporters: one test case per target and one per failed task, in a single suite. Server
 * text is neutralized (test reporters print failure messages to CI logs) and XML-escaped.
 */
import { evidenceLine, type FailedTask, type TargetResult } from './outcome.js';
import { cancelText, PASSING, type ReportContext } from './report.js';
import { flatten, neutralize, xmlEscape } from './untrusted.js';

interface TestCase {
  xml: string[];
  failed: boolean;
  seconds: number;
  /** Target cases add to the suite time; task cases run inside them and would count twice. */
  countsTime: boolean;
}

/**
 * JUnit XML: one test case per target and one per failed task, in a single suite. Server text is
 * neutralized (test reporters print failure messages to CI logs) and XML-escaped.
 */
export function renderJUnit(results: readonly TargetResult[], ctx: ReportContext & { suiteName?: string }): string {
  const cases: TestCase[] = [];
  for (const r of results) {
    const platform = r.platform || ctx.platform;
    cases.push(targetCase(r, platform));
    for (const task of r.failedTasks) cases.push(taskCase(r, platform, task));
  }

  const tests = cases.length;
  const failures = cases.filter((c) => c.failed).length;
  const time = seconds(cases.filter((c) => c.countsTime).reduce((sum, c) => sum + c.seconds, 0));
  const name = xmlEscape(flatten(ctx.suiteName ?? ctx.title ?? `orchestration-run: ${ctx.platform} ${ctx.mode}`));
  const timestamp = xmlEscape(ctx.generatedAt ?? new Date().toISOString().slice(0, 19));
  const counts = `tests="${tests}" failures="${failures}" errors="0" skipped="0" time="${time}"`;

  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="orchestration-run" ${counts}>`,
    `  <testsuite name="${name}" ${counts} timestamp="${timestamp}">`,
    ...cases.flatMap((c) => c.xml.map((line) => `    ${line}`)),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

function targetCase(r: TargetResult, platform: string): TestCase {
  const duration = r.durationSeconds !== undefined && Number.isFinite(r.durationSeconds) && r.durationSeconds >= 0 ? r.durationSeconds : 0;
  const xml = [`<testcase classname="${attr(`orchestration-run.${platform}`)}" name="${attr(r.target)}" time="${seconds(duration)}">`];
  const failed = !PASSING.has(r.status);
  if (failed) {
    const message = r.message !== undefined && flatten(r.message) !== '' ? r.message : `Target ${r.status}`;
    const body = [neutralize(message)];
    if (r.failedTasks.length > 0) {
      body.push('Failed tasks:');
      for (const t of r.failedTasks) {
        const ref = [t.type, t.id].filter((p): p is string => p !== undefined && p !== '').join(' ');
        body.push(`- ${flatten(t.name)}${ref !== '' ? ` (${flatten(ref)})` : ''}: ${flatten(t.status)}`);
      }
    }
    if (r.cancel !== undefined) body.push(`Cancel: ${cancelText(r)}`);
    xml.push(`  <failure message="${attr(message)}" type="${r.status}">${xmlEscape(body.join('\n'))}</failure>`);
  }
  const out = [`Run id: ${r.runId !== undefined ? flatten(r.runId) : '(none)'}`, `Status: ${r.status}${r.rawStatus ? ` (${flatten(r.rawStatus)})` : ''}`];
  if (r.startedAt) out.push(`Started: ${flatten(r.startedAt)}`);
  if (r.finishedAt) out.push(`Finished: ${flatten(r.finishedAt)}`);
  if (r.evidence) out.push(`Evidence: ${flatten(evidenceLine(r.evidence))}`);
  if (r.logFile) out.push(`Log file: ${flatten(r.logFile)}`);
  xml.push(`  <system-out>${xmlEscape(out.join('\n'))}</system-out>`, '</testcase>');
  return { xml, failed, seconds: duration, countsTime: true };
}

function taskCase(r: TargetResult, platform: string, task: FailedTask): TestCase {
  const duration = spanSeconds(task.startedAt, task.finishedAt);
  const classname = attr(`orchestration-run.${platform}.${r.target}`);
  const name = attr(`${r.target} › ${task.name}`);
  let text: string;
  if (task.logExcerpt.length > 0) text = task.logExcerpt.map(neutralize).join('\n');
  else if (task.logNote !== undefined) text = neutralize(task.logNote);
  else text = 'No log lines were returned.';
  return {
    xml: [
      `<testcase classname="${classname}" name="${name}" time="${seconds(duration)}">`,
      `  <failure message="${attr(`${task.name}: ${task.status}`)}" type="failed">${xmlEscape(text)}</failure>`,
      '</testcase>',
    ],
    failed: true,
    seconds: duration,
    countsTime: false,
  };
}

/** A one-line attribute value: flattened because parsers turn newlines in attributes into spaces anyway. */
function attr(text: string): string {
  return xmlEscape(flatten(text));
}

/** Seconds between two server times, when both parse; 0 otherwise (JUnit requires a number). */
function spanSeconds(start: string | undefined, end: string | undefined): number {
  if (start === undefined || end === undefined) return 0;
  const diff = (Date.parse(end) - Date.parse(start)) / 1000;
  return Number.isFinite(diff) && diff >= 0 ? diff : 0;
}

function seconds(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}
