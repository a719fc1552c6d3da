/**
 * The one renderer of results for every front end: the markdown summary (GitHub job summary, Azure build
 * summary), plain text lines (logs, CLI) and the `result` JSON output; JUnit XML is in report-junit.ts.
 *
 * Everything in a TargetResult apart from the status may come from the server, so every such string goes
 * through a sanitizer of untrusted.ts matching where it lands (table cell, code block, HTML, XML, log line).
 */
import { evidenceLine, overallStatus, type FailedTask, type StepStatus, type TargetResult } from './outcome.js';
import type { CiContext } from './settings.js';
import { flatten, markdownCell, markdownCodeBlock, neutralizeLine, xmlEscape } from './untrusted.js';

export interface ReportContext {
  /** Replaces the default heading `orchestration-run: <platform> <mode>`. */
  title?: string;
  platform: string;
  mode: string;
  ciContext?: CiContext;
  /** Path of the step's log file, shown in the footer. */
  logFile?: string;
  /** ISO 8601 time of the report; JUnit needs one, and tests want a fixed one. */
  generatedAt?: string;
}

const STATUS_EMOJI: Record<StepStatus, string> = {
  succeeded: '✅',
  failed: '❌',
  'timed-out': '⏱️',
  cancelled: '🚫',
  triggered: '🚀',
  running: '🔄',
};

/** Order of the per-status counts in the overall line: problems first, they are what the reader wants. */
const STATUS_ORDER: readonly StepStatus[] = ['failed', 'timed-out', 'cancelled', 'running', 'triggered', 'succeeded'];

/** Statuses that let the step pass; everything else is explained line by line. */
export const PASSING: ReadonlySet<StepStatus> = new Set(['succeeded', 'triggered', 'running']);

const MAX_TASKS_IN_CELL = 5;
const NONE = '—';

/** `45s`, `1m 27s`, `2h 03m`; `—` when unknown. Seconds are dropped past an hour: nobody reads them there. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return NONE;
  const total = Math.round(seconds);
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m ${pad2(total % 60)}s`;
  const minutes = Math.floor(total / 60);
  return `${Math.floor(minutes / 60)}h ${pad2(minutes % 60)}m`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

// ---------------------------------------------------------------------------------------------------------
// Markdown summary
// ---------------------------------------------------------------------------------------------------------

export function renderSummaryMarkdown(results: readonly TargetResult[], ctx: ReportContext): string {
  const out: string[] = [];
  out.push(`## ${ctx.title !== undefined ? markdownCell(ctx.title) : `orchestration-run: ${markdownCell(ctx.platform)} ${markdownCell(ctx.mode)}`}`);
  out.push('');
  const overall = overallStatus(results);
  out.push(`${STATUS_EMOJI[overall]} **${overall}** — ${countsPhrase(results)}`);
  out.push('');

  if (results.length > 0) {
    out.push('| Target | Run id | Status | Started | Finished | Duration | Failed tasks |');
    out.push('|---|---|---|---|---|---|---|');
    for (const r of results) {
      const cells = [
        cellOrNone(r.target),
        cellOrNone(r.runId),
        statusCell(r),
        cellOrNone(r.startedAt),
        cellOrNone(r.finishedAt),
        formatDuration(r.durationSeconds),
        failedTasksCell(r.failedTasks),
      ];
      out.push(`| ${cells.join(' | ')} |`);
    }
    out.push('');
    out.push(...timeNoteLines(results));
  }

  for (const r of results) {
    if (r.message !== undefined && flatten(r.message) !== '') {
      out.push(`**${markdownCell(r.target)}**: ${markdownCell(r.message)}`, '');
    }
  }

  // The proofs behind each verdict: a release manager sees why a green is green.
  for (const r of results) {
    if (r.evidence !== undefined) out.push(`🔎 **${markdownCell(r.target)}** evidence: ${markdownCell(evidenceLine(r.evidence))}`, '');
  }

  for (const r of results) {
    if (r.cancel !== undefined) out.push(`🛑 **${markdownCell(r.target)}**: ${cancelPhrase(r)}`, '');
  }

  const notes = results.flatMap((r) => (r.notes ?? []).map((note) => `- **${markdownCell(r.target)}**: ${markdownCell(note)}`));
  if (notes.length > 0) out.push(...notes, '');

  for (const r of results) {
    for (const task of r.failedTasks) out.push(...failedTaskDetails(r, task), '');
  }

  out.push(...footerLines(results, ctx));
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}

function countsPhrase(results: readonly TargetResult[]): string {
  if (results.length === 0) return 'no targets';
  const counts = STATUS_ORDER.map((status) => [status, results.filter((r) => r.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`);
  return `${results.length} ${results.length === 1 ? 'target' : 'targets'}: ${counts.join(', ')}`;
}

function cellOrNone(text: string | undefined): string {
  const cell = text === undefined ? '' : markdownCell(text);
  return cell === '' ? NONE : cell;
}

function statusCell(r: TargetResult): string {
  const base = `${STATUS_EMOJI[r.status]} ${r.status}`;
  // The platform's own word helps when it says more than ours (e.g. "Error" vs "failed").
  if (r.rawStatus === undefined || flatten(r.rawStatus).toLowerCase() === r.status || flatten(r.rawStatus) === '') return base;
  return `${base} (${markdownCell(r.rawStatus)})`;
}

function failedTasksCell(tasks: readonly FailedTask[]): string {
  if (tasks.length === 0) return '';
  const names = tasks.slice(0, MAX_TASKS_IN_CELL).map((t) => cellOrNone(t.name));
  const more = tasks.length - MAX_TASKS_IN_CELL;
  return more > 0 ? `${names.join(', ')}, +${more} more` : names.join(', ');
}

/** Server times are shown as given; their clock is explained once, not in every cell. */
function timeNoteLines(results: readonly TargetResult[]): string[] {
  const withNote = results.filter((r) => r.timeNote !== undefined && flatten(r.timeNote) !== '');
  const distinct = [...new Set(withNote.map((r) => flatten(r.timeNote!)))];
  if (distinct.length === 0) return [];
  if (distinct.length === 1) return [`_${markdownCell(distinct[0]!)}_`, ''];
  return [...withNote.map((r) => `_${markdownCell(r.target)}: ${markdownCell(r.timeNote!)}_  `), ''];
}

/** The same note for a terminal: one line, per target only when the targets' clocks differ. */
function textTimeNote(results: readonly TargetResult[]): string | undefined {
  const withNote = results.filter((r) => r.timeNote !== undefined && flatten(r.timeNote) !== '');
  const distinct = [...new Set(withNote.map((r) => flatten(r.timeNote!)))];
  if (distinct.length === 0) return undefined;
  if (distinct.length === 1) return distinct[0]!;
  return `${withNote.map((r) => `${flatten(r.target)}: ${flatten(r.timeNote!)}`).join('; ')}`;
}

function cancelPhrase(r: TargetResult): string {
  const cancel = r.cancel!;
  const what = !cancel.requested ? 'not cancelled' : cancel.accepted ? 'cancel accepted' : 'cancel not accepted';
  const note = markdownCell(cancel.note);
  return note === '' ? what : `${what} — ${note}`;
}

/**
 * A collapsible block per failed task. The summary line is HTML (markdown is not parsed there), so its text
 * is HTML-escaped; the excerpt sits in a code fence after a blank line, where `</details>` is inert text.
 */
function failedTaskDetails(r: TargetResult, task: FailedTask): string[] {
  const title = `${htmlText(r.target)} — ${htmlText(task.name)} (${htmlText(task.status)})`;
  const lines = [`<details><summary>${title}</summary>`, ''];
  if (task.logExcerpt.length > 0) lines.push(markdownCodeBlock(task.logExcerpt));
  else if (task.logNote !== undefined && flatten(task.logNote) !== '') lines.push(`_${markdownCell(task.logNote)}_`);
  else lines.push('_No log lines were returned._');
  lines.push('', '</details>');
  return lines;
}

function htmlText(text: string): string {
  const flat = flatten(text);
  return xmlEscape(flat.length > 200 ? `${flat.slice(0, 199)}…` : flat);
}

function footerLines(results: readonly TargetResult[], ctx: ReportContext): string[] {
  const lines: string[] = [];
  const logFiles = ctx.logFile !== undefined ? [ctx.logFile] : [...new Set(results.flatMap((r) => (r.logFile ? [r.logFile] : [])))];
  if (logFiles.length > 0) lines.push(`Full logs: ${logFiles.map(markdownCell).join(', ')}`);
  const ci = ciLine(ctx.ciContext);
  if (ci !== undefined) lines.push(ci);
  if (ctx.generatedAt !== undefined) lines.push(`Generated at ${markdownCell(ctx.generatedAt)}.`);
  // Separate paragraphs: consecutive lines would run together in rendered markdown.
  return lines.flatMap((line, i) => (i === 0 ? [line] : ['', line]));
}

function ciLine(ci: CiContext | undefined): string | undefined {
  if (ci === undefined || ci.system === 'cli') return undefined;
  const parts: string[] = [];
  const run = [ci.workflow, ci.runId !== undefined ? `run ${ci.runId}` : undefined, ci.attempt !== undefined ? `attempt ${ci.attempt}` : undefined]
    .filter((p): p is string => p !== undefined && p !== '')
    .map(markdownCell)
    .join(' · ');
  // Only an https URL becomes a link: anything else in a link target could be a javascript: URL.
  const linkable = ci.runUrl !== undefined && /^https:\/\/[^\s()<>]+$/.test(ci.runUrl);
  if (run !== '') parts.push(linkable ? `[${run}](${ci.runUrl})` : run);
  else if (linkable) parts.push(`[CI run](${ci.runUrl})`);
  if (ci.commit) parts.push(`commit ${markdownCell(ci.commit.slice(0, 12))}`);
  if (ci.actor) parts.push(`by ${markdownCell(ci.actor)}`);
  return parts.length > 0 ? `CI: ${parts.join(' · ')}` : undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Plain text
// ---------------------------------------------------------------------------------------------------------

const TEXT_HEADER = ['Target', 'Run id', 'Status', 'Started', 'Finished', 'Duration'] as const;
/** Caps a column so one very long server value does not push the others off the screen. */
const MAX_TEXT_COLUMN = 60;

/** Lines for a log or a terminal: an aligned table, then why each failing target failed. */
export function renderTextSummary(results: readonly TargetResult[]): string[] {
  const rows: string[][] = results.map((r) => [
    textCell(r.target),
    textCell(r.runId),
    r.rawStatus !== undefined && flatten(r.rawStatus) !== '' && flatten(r.rawStatus).toLowerCase() !== r.status
      ? `${r.status} (${textCell(r.rawStatus)})`
      : r.status,
    textCell(r.startedAt),
    textCell(r.finishedAt),
    formatDuration(r.durationSeconds),
  ]);
  const table = [[...TEXT_HEADER], ...rows];
  const widths = TEXT_HEADER.map((_, col) => Math.max(...table.map((row) => visibleLength(row[col]!))));
  const format = (row: readonly string[]) => row.map((cell, col) => padVisible(cell, widths[col]!)).join('  ').trimEnd();

  const lines = [format(table[0]!), format(widths.map((w) => '-'.repeat(w))), ...rows.map(format)];
  const times = textTimeNote(results);
  if (times !== undefined) lines.push(times);
  for (const r of results) {
    if (r.evidence !== undefined) lines.push(`evidence ${flatten(r.target)}: ${flatten(evidenceLine(r.evidence))}`);
  }
  for (const r of results) {
    if (PASSING.has(r.status)) continue;
    const message = r.message !== undefined && flatten(r.message) !== '' ? flatten(r.message) : r.status;
    lines.push(`✗ ${flatten(r.target)}: ${message}`);
    for (const task of r.failedTasks) {
      const ref = [task.type, task.id].filter((p): p is string => p !== undefined && p !== '').map(flatten).join(' ');
      lines.push(`  failed task: ${flatten(task.name)}${ref !== '' ? ` (${ref})` : ''}: ${flatten(task.status)}`);
    }
    if (r.cancel !== undefined) lines.push(`  cancel: ${cancelText(r)}`);
  }
  // Cells are already neutralized, but a line is what the runner parses: neutralize what is printed.
  return lines.map(neutralizeLine);
}

function textCell(text: string | undefined): string {
  const flat = text === undefined ? '' : flatten(text);
  if (flat === '') return NONE;
  return flat.length > MAX_TEXT_COLUMN ? `${flat.slice(0, MAX_TEXT_COLUMN - 1)}…` : flat;
}

export function cancelText(r: TargetResult): string {
  const cancel = r.cancel!;
  const what = !cancel.requested ? 'not cancelled' : cancel.accepted ? 'cancel accepted' : 'cancel not accepted';
  const note = flatten(cancel.note);
  return note === '' ? what : `${what} — ${note}`;
}

/** Zero-width spaces from neutralizing take no column on screen; counting them would skew the table. */
function visibleLength(text: string): number {
  return [...text.replace(/\u200B/g, '')].length;
}

function padVisible(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

// ---------------------------------------------------------------------------------------------------------
// JSON (`result` output)
// ---------------------------------------------------------------------------------------------------------

/**
 * The `result` output. Values are the data as read (not neutralized): this is for machines, and JSON
 * escaping keeps it on one line. Undefined values are left out, as JSON.stringify does.
 */
export function resultJson(results: readonly TargetResult[]): string {
  return JSON.stringify(resultObjects(results));
}

/** Largest `result` output, in characters: within Azure's environment-variable limits and GitHub's 1 MB per job. */
export const RESULT_OUTPUT_MAX_CHARS = 32_000;

/**
 * The `result` output within `maxChars`: the full JSON when it fits; otherwise each target keeps its status,
 * ids, evidence and the names of its failed tasks, with shorter excerpts and messages, step by step, until it
 * fits, and says `"truncated": true` (the full JSON is the `result-file`). Always valid JSON, one object per
 * target, in target order.
 */
export function cappedResultJson(results: readonly TargetResult[], maxChars = RESULT_OUTPUT_MAX_CHARS): string {
  const full = resultObjects(results);
  const whole = JSON.stringify(full);
  if (whole.length <= maxChars) return whole;
  const cut = (text: string | undefined, n: number) => (text === undefined || text.length <= n ? text : `${text.slice(0, n - 1)}…`);
  type Obj = ReturnType<typeof resultObjects>[number];
  const steps: Array<(o: Obj) => Record<string, unknown>> = [
    (o) => ({ ...o, truncated: true, failedTasks: o.failedTasks.map((t) => ({ ...t, logExcerpt: cut(t.logExcerpt.split('\n').slice(-5).join('\n'), 1000) })) }),
    (o) => ({
      ...o,
      truncated: true,
      message: cut(o.message, 300),
      failedTasks: o.failedTasks.slice(0, 20).map((t) => ({ name: cut(t.name, 200), type: t.type, id: t.id, status: t.status, logExcerpt: cut(t.logExcerpt.split('\n').slice(-1).join(''), 200) })),
      failedTaskCount: o.failedTasks.length,
    }),
    (o) => ({
      target: cut(o.target, 200),
      runId: cut(o.runId, 200),
      status: o.status,
      rawStatus: cut(o.rawStatus, 50),
      truncated: true,
      message: cut(o.message, 200),
      evidence: o.evidence && Object.fromEntries(Object.entries(o.evidence).map(([k, p]) => [k, { ok: p?.ok, detail: cut(p?.detail, 120) }])),
      failedTasks: o.failedTasks.slice(0, 5).map((t) => ({ name: cut(t.name, 100), status: t.status })),
      failedTaskCount: o.failedTasks.length,
    }),
    (o) => ({ target: cut(o.target, 100), runId: cut(o.runId, 100), status: o.status, truncated: true, failedTaskCount: o.failedTasks.length }),
    // Gates read `.*.target` and `.*.status`: those stay as long as anything fits.
    (o) => ({ target: cut(o.target, 60), status: o.status, truncated: true }),
  ];
  for (const step of steps) {
    const text = JSON.stringify(full.map(step));
    if (text.length <= maxChars) return text;
  }
  // So many targets that even their statuses do not fit: the file has them.
  return JSON.stringify([{ status: overallStatus(results), truncated: true, targets: results.length }]);
}

function resultObjects(results: readonly TargetResult[]) {
  return results.map((r) => ({
      target: r.target,
      runId: r.runId,
      status: r.status,
      rawStatus: r.rawStatus,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      durationSeconds: r.durationSeconds,
      failedTasks: r.failedTasks.map((t) => ({
        name: t.name,
        type: t.type,
        id: t.id,
        status: t.status,
        logExcerpt: t.logExcerpt.join('\n'),
      })),
      logFile: r.logFile,
      message: r.message,
      evidence: r.evidence,
    }));
}
