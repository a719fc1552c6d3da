export const id = 209;
export const ids = [209];
export const modules = {

/***/ 1601:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   m: () => (/* binding */ systemClock)
/* harmony export */ });
/* unused harmony export AbortedError */
class AbortedError extends Error {
    constructor(message = 'aborted') {
        super(message);
        this.name = 'AbortedError';
    }
}
function abortReason(signal) {
    return signal.reason ?? new AbortedError();
}
const systemClock = {
    now: () => Date.now(),
    sleep(ms, signal) {
        if (signal?.aborted)
            return Promise.reject(abortReason(signal));
        return new Promise((resolve, reject) => {
            const onAbort = () => {
                clearTimeout(timer);
                reject(abortReason(signal));
            };
            const timer = setTimeout(() => {
                signal?.removeEventListener('abort', onAbort);
                resolve();
            }, Math.max(0, ms));
            signal?.addEventListener('abort', onAbort, { once: true });
        });
    },
};


/***/ }),

/***/ 3529:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  ADOPTED_PREFIX: () => (/* reexport */ ADOPTED_PREFIX),
  MAX_ANNOTATIONS: () => (/* reexport */ MAX_ANNOTATIONS),
  STATE_RUNS: () => (/* reexport */ saved_runs/* STATE_RUNS */.hW),
  cancelSavedRuns: () => (/* reexport */ cancelSavedRuns),
  formatMs: () => (/* reexport */ formatMs),
  runStep: () => (/* reexport */ runStep)
});

;// CONCATENATED MODULE: ./lib/core/engine/common.js
/** Why following a target stopped early: the step's deadline, a CI cancellation or fail-fast. */
class StopSignal extends Error {
    status;
    constructor(status, message) {
        super(message);
        this.status = status;
    }
}
/** A target failed for a reason the engine states itself (one line, no hint needed). */
class TargetFailure extends Error {
}
function stopReason(error, signal) {
    if (error instanceof StopSignal)
        return error;
    if (signal.aborted && signal.reason instanceof StopSignal)
        return signal.reason;
    return undefined;
}
/** Marks a run-id handle whose run was adopted after a lost trigger answer (mode: wait reads it). */
const ADOPTED_PREFIX = 'adopted:';
function stepStatusOf(state) {
    if (state === 'succeeded')
        return 'succeeded';
    if (state === 'cancelled')
        return 'cancelled';
    return 'failed';
}
/** `Running`, `Aborted (failed)`, `running, backfill 40%`, or `not yet observed`. */
function describe(observation) {
    if (!observation)
        return 'not yet observed';
    const raw = observation.rawStatus || '(no status)';
    const state = raw.toLowerCase() === observation.state ? '' : ` (${observation.state})`;
    return `${raw}${state}${observation.progress ? `, ${observation.progress}` : ''}`;
}
function formatMs(ms) {
    if (ms < 1000)
        return `${Math.round(ms)}ms`;
    const s = Math.round(ms / 1000);
    if (s < 60)
        return `${s}s`;
    const m = Math.floor(s / 60);
    if (m < 60)
        return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
    const h = Math.floor(m / 60);
    return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
}

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: ./lib/core/clock.js
var core_clock = __webpack_require__(1601);
// EXTERNAL MODULE: ./lib/core/http/index.js + 7 modules
var core_http = __webpack_require__(6416);
// EXTERNAL MODULE: ./lib/core/logs.js
var logs = __webpack_require__(2776);
// EXTERNAL MODULE: ./lib/core/outcome.js
var outcome = __webpack_require__(1307);
// EXTERNAL MODULE: ./lib/core/untrusted.js
var untrusted = __webpack_require__(6713);
;// CONCATENATED MODULE: ./lib/core/report.js
/**
 * The one renderer of results for every front end: the markdown summary (GitHub job summary, Azure build
 * summary), plain text lines (logs, CLI) and the `result` JSON output; JUnit XML is in report-junit.ts.
 *
 * Everything in a TargetResult apart from the status may come from the server, so every such string goes
 * through a sanitizer of untrusted.ts matching where it lands (table cell, code block, HTML, XML, log line).
 */


const STATUS_EMOJI = {
    succeeded: '✅',
    failed: '❌',
    'timed-out': '⏱️',
    cancelled: '🚫',
    triggered: '🚀',
    running: '🔄',
};
/** Order of the per-status counts in the overall line: problems first, they are what the reader wants. */
const STATUS_ORDER = ['failed', 'timed-out', 'cancelled', 'running', 'triggered', 'succeeded'];
/** Statuses that let the step pass; everything else is explained line by line. */
const PASSING = new Set(['succeeded', 'triggered', 'running']);
const MAX_TASKS_IN_CELL = 5;
const NONE = '—';
/** `45s`, `1m 27s`, `2h 03m`; `—` when unknown. Seconds are dropped past an hour: nobody reads them there. */
function formatDuration(seconds) {
    if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0)
        return NONE;
    const total = Math.round(seconds);
    if (total < 60)
        return `${total}s`;
    if (total < 3600)
        return `${Math.floor(total / 60)}m ${pad2(total % 60)}s`;
    const minutes = Math.floor(total / 60);
    return `${Math.floor(minutes / 60)}h ${pad2(minutes % 60)}m`;
}
function pad2(n) {
    return String(n).padStart(2, '0');
}
// ---------------------------------------------------------------------------------------------------------
// Markdown summary
// ---------------------------------------------------------------------------------------------------------
function renderSummaryMarkdown(results, ctx) {
    const out = [];
    out.push(`## ${ctx.title !== undefined ? (0,untrusted/* markdownCell */.UZ)(ctx.title) : `orchestration-run: ${(0,untrusted/* markdownCell */.UZ)(ctx.platform)} ${(0,untrusted/* markdownCell */.UZ)(ctx.mode)}`}`);
    out.push('');
    const overall = (0,outcome/* overallStatus */.gX)(results);
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
        if (r.message !== undefined && (0,untrusted/* flatten */.Bq)(r.message) !== '') {
            out.push(`**${(0,untrusted/* markdownCell */.UZ)(r.target)}**: ${(0,untrusted/* markdownCell */.UZ)(r.message)}`, '');
        }
    }
    // The proofs behind each verdict: a release manager sees why a green is green.
    for (const r of results) {
        if (r.evidence !== undefined)
            out.push(`🔎 **${(0,untrusted/* markdownCell */.UZ)(r.target)}** evidence: ${(0,untrusted/* markdownCell */.UZ)((0,outcome/* evidenceLine */.OF)(r.evidence))}`, '');
    }
    for (const r of results) {
        if (r.cancel !== undefined)
            out.push(`🛑 **${(0,untrusted/* markdownCell */.UZ)(r.target)}**: ${cancelPhrase(r)}`, '');
    }
    const notes = results.flatMap((r) => (r.notes ?? []).map((note) => `- **${(0,untrusted/* markdownCell */.UZ)(r.target)}**: ${(0,untrusted/* markdownCell */.UZ)(note)}`));
    if (notes.length > 0)
        out.push(...notes, '');
    for (const r of results) {
        for (const task of r.failedTasks)
            out.push(...failedTaskDetails(r, task), '');
    }
    out.push(...footerLines(results, ctx));
    while (out.length > 0 && out[out.length - 1] === '')
        out.pop();
    return out.join('\n') + '\n';
}
function countsPhrase(results) {
    if (results.length === 0)
        return 'no targets';
    const counts = STATUS_ORDER.map((status) => [status, results.filter((r) => r.status === status).length])
        .filter(([, n]) => n > 0)
        .map(([status, n]) => `${n} ${status}`);
    return `${results.length} ${results.length === 1 ? 'target' : 'targets'}: ${counts.join(', ')}`;
}
function cellOrNone(text) {
    const cell = text === undefined ? '' : (0,untrusted/* markdownCell */.UZ)(text);
    return cell === '' ? NONE : cell;
}
function statusCell(r) {
    const base = `${STATUS_EMOJI[r.status]} ${r.status}`;
    // The platform's own word helps when it says more than ours (e.g. "Error" vs "failed").
    if (r.rawStatus === undefined || (0,untrusted/* flatten */.Bq)(r.rawStatus).toLowerCase() === r.status || (0,untrusted/* flatten */.Bq)(r.rawStatus) === '')
        return base;
    return `${base} (${(0,untrusted/* markdownCell */.UZ)(r.rawStatus)})`;
}
function failedTasksCell(tasks) {
    if (tasks.length === 0)
        return '';
    const names = tasks.slice(0, MAX_TASKS_IN_CELL).map((t) => cellOrNone(t.name));
    const more = tasks.length - MAX_TASKS_IN_CELL;
    return more > 0 ? `${names.join(', ')}, +${more} more` : names.join(', ');
}
/** Server times are shown as given; their clock is explained once, not in every cell. */
function timeNoteLines(results) {
    const withNote = results.filter((r) => r.timeNote !== undefined && (0,untrusted/* flatten */.Bq)(r.timeNote) !== '');
    const distinct = [...new Set(withNote.map((r) => (0,untrusted/* flatten */.Bq)(r.timeNote)))];
    if (distinct.length === 0)
        return [];
    if (distinct.length === 1)
        return [`_${(0,untrusted/* markdownCell */.UZ)(distinct[0])}_`, ''];
    return [...withNote.map((r) => `_${(0,untrusted/* markdownCell */.UZ)(r.target)}: ${(0,untrusted/* markdownCell */.UZ)(r.timeNote)}_  `), ''];
}
/** The same note for a terminal: one line, per target only when the targets' clocks differ. */
function textTimeNote(results) {
    const withNote = results.filter((r) => r.timeNote !== undefined && (0,untrusted/* flatten */.Bq)(r.timeNote) !== '');
    const distinct = [...new Set(withNote.map((r) => (0,untrusted/* flatten */.Bq)(r.timeNote)))];
    if (distinct.length === 0)
        return undefined;
    if (distinct.length === 1)
        return distinct[0];
    return `${withNote.map((r) => `${(0,untrusted/* flatten */.Bq)(r.target)}: ${(0,untrusted/* flatten */.Bq)(r.timeNote)}`).join('; ')}`;
}
function cancelPhrase(r) {
    const cancel = r.cancel;
    const what = !cancel.requested ? 'not cancelled' : cancel.accepted ? 'cancel accepted' : 'cancel not accepted';
    const note = (0,untrusted/* markdownCell */.UZ)(cancel.note);
    return note === '' ? what : `${what} — ${note}`;
}
/**
 * A collapsible block per failed task. The summary line is HTML (markdown is not parsed there), so its text
 * is HTML-escaped; the excerpt sits in a code fence after a blank line, where `</details>` is inert text.
 */
function failedTaskDetails(r, task) {
    const title = `${htmlText(r.target)} — ${htmlText(task.name)} (${htmlText(task.status)})`;
    const lines = [`<details><summary>${title}</summary>`, ''];
    if (task.logExcerpt.length > 0)
        lines.push((0,untrusted/* markdownCodeBlock */.IS)(task.logExcerpt));
    else if (task.logNote !== undefined && (0,untrusted/* flatten */.Bq)(task.logNote) !== '')
        lines.push(`_${(0,untrusted/* markdownCell */.UZ)(task.logNote)}_`);
    else
        lines.push('_No log lines were returned._');
    lines.push('', '</details>');
    return lines;
}
function htmlText(text) {
    const flat = (0,untrusted/* flatten */.Bq)(text);
    return (0,untrusted/* xmlEscape */.fX)(flat.length > 200 ? `${flat.slice(0, 199)}…` : flat);
}
function footerLines(results, ctx) {
    const lines = [];
    const logFiles = ctx.logFile !== undefined ? [ctx.logFile] : [...new Set(results.flatMap((r) => (r.logFile ? [r.logFile] : [])))];
    if (logFiles.length > 0)
        lines.push(`Full logs: ${logFiles.map(untrusted/* markdownCell */.UZ).join(', ')}`);
    const ci = ciLine(ctx.ciContext);
    if (ci !== undefined)
        lines.push(ci);
    if (ctx.generatedAt !== undefined)
        lines.push(`Generated at ${(0,untrusted/* markdownCell */.UZ)(ctx.generatedAt)}.`);
    // Separate paragraphs: consecutive lines would run together in rendered markdown.
    return lines.flatMap((line, i) => (i === 0 ? [line] : ['', line]));
}
function ciLine(ci) {
    if (ci === undefined || ci.system === 'cli')
        return undefined;
    const parts = [];
    const run = [ci.workflow, ci.runId !== undefined ? `run ${ci.runId}` : undefined, ci.attempt !== undefined ? `attempt ${ci.attempt}` : undefined]
        .filter((p) => p !== undefined && p !== '')
        .map(untrusted/* markdownCell */.UZ)
        .join(' · ');
    // Only an https URL becomes a link: anything else in a link target could be a javascript: URL.
    const linkable = ci.runUrl !== undefined && /^https:\/\/[^\s()<>]+$/.test(ci.runUrl);
    if (run !== '')
        parts.push(linkable ? `[${run}](${ci.runUrl})` : run);
    else if (linkable)
        parts.push(`[CI run](${ci.runUrl})`);
    if (ci.commit)
        parts.push(`commit ${(0,untrusted/* markdownCell */.UZ)(ci.commit.slice(0, 12))}`);
    if (ci.actor)
        parts.push(`by ${(0,untrusted/* markdownCell */.UZ)(ci.actor)}`);
    return parts.length > 0 ? `CI: ${parts.join(' · ')}` : undefined;
}
// ---------------------------------------------------------------------------------------------------------
// Plain text
// ---------------------------------------------------------------------------------------------------------
const TEXT_HEADER = ['Target', 'Run id', 'Status', 'Started', 'Finished', 'Duration'];
/** Caps a column so one very long server value does not push the others off the screen. */
const MAX_TEXT_COLUMN = 60;
/** Lines for a log or a terminal: an aligned table, then why each failing target failed. */
function renderTextSummary(results) {
    const rows = results.map((r) => [
        textCell(r.target),
        textCell(r.runId),
        r.rawStatus !== undefined && (0,untrusted/* flatten */.Bq)(r.rawStatus) !== '' && (0,untrusted/* flatten */.Bq)(r.rawStatus).toLowerCase() !== r.status
            ? `${r.status} (${textCell(r.rawStatus)})`
            : r.status,
        textCell(r.startedAt),
        textCell(r.finishedAt),
        formatDuration(r.durationSeconds),
    ]);
    const table = [[...TEXT_HEADER], ...rows];
    const widths = TEXT_HEADER.map((_, col) => Math.max(...table.map((row) => visibleLength(row[col]))));
    const format = (row) => row.map((cell, col) => padVisible(cell, widths[col])).join('  ').trimEnd();
    const lines = [format(table[0]), format(widths.map((w) => '-'.repeat(w))), ...rows.map(format)];
    const times = textTimeNote(results);
    if (times !== undefined)
        lines.push(times);
    for (const r of results) {
        if (r.evidence !== undefined)
            lines.push(`evidence ${(0,untrusted/* flatten */.Bq)(r.target)}: ${(0,untrusted/* flatten */.Bq)((0,outcome/* evidenceLine */.OF)(r.evidence))}`);
    }
    for (const r of results) {
        if (PASSING.has(r.status))
            continue;
        const message = r.message !== undefined && (0,untrusted/* flatten */.Bq)(r.message) !== '' ? (0,untrusted/* flatten */.Bq)(r.message) : r.status;
        lines.push(`✗ ${(0,untrusted/* flatten */.Bq)(r.target)}: ${message}`);
        for (const task of r.failedTasks) {
            const ref = [task.type, task.id].filter((p) => p !== undefined && p !== '').map(untrusted/* flatten */.Bq).join(' ');
            lines.push(`  failed task: ${(0,untrusted/* flatten */.Bq)(task.name)}${ref !== '' ? ` (${ref})` : ''}: ${(0,untrusted/* flatten */.Bq)(task.status)}`);
        }
        if (r.cancel !== undefined)
            lines.push(`  cancel: ${cancelText(r)}`);
    }
    // Cells are already neutralized, but a line is what the runner parses: neutralize what is printed.
    return lines.map(untrusted/* neutralizeLine */.a0);
}
function textCell(text) {
    const flat = text === undefined ? '' : (0,untrusted/* flatten */.Bq)(text);
    if (flat === '')
        return NONE;
    return flat.length > MAX_TEXT_COLUMN ? `${flat.slice(0, MAX_TEXT_COLUMN - 1)}…` : flat;
}
function cancelText(r) {
    const cancel = r.cancel;
    const what = !cancel.requested ? 'not cancelled' : cancel.accepted ? 'cancel accepted' : 'cancel not accepted';
    const note = (0,untrusted/* flatten */.Bq)(cancel.note);
    return note === '' ? what : `${what} — ${note}`;
}
/** Zero-width spaces from neutralizing take no column on screen; counting them would skew the table. */
function visibleLength(text) {
    return [...text.replace(/\u200B/g, '')].length;
}
function padVisible(text, width) {
    return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}
// ---------------------------------------------------------------------------------------------------------
// JSON (`result` output)
// ---------------------------------------------------------------------------------------------------------
/**
 * The `result` output. Values are the data as read (not neutralized): this is for machines, and JSON
 * escaping keeps it on one line. Undefined values are left out, as JSON.stringify does.
 */
function resultJson(results) {
    return JSON.stringify(resultObjects(results));
}
/** Largest `result` output, in characters: within Azure's environment-variable limits and GitHub's 1 MB per job. */
const RESULT_OUTPUT_MAX_CHARS = 32_000;
/**
 * The `result` output within `maxChars`: the full JSON when it fits; otherwise each target keeps its status,
 * ids, evidence and the names of its failed tasks, with shorter excerpts and messages, step by step, until it
 * fits, and says `"truncated": true` (the full JSON is the `result-file`). Always valid JSON, one object per
 * target, in target order.
 */
function cappedResultJson(results, maxChars = RESULT_OUTPUT_MAX_CHARS) {
    const full = resultObjects(results);
    const whole = JSON.stringify(full);
    if (whole.length <= maxChars)
        return whole;
    const cut = (text, n) => (text === undefined || text.length <= n ? text : `${text.slice(0, n - 1)}…`);
    const steps = [
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
        if (text.length <= maxChars)
            return text;
    }
    // So many targets that even their statuses do not fit: the file has them.
    return JSON.stringify([{ status: (0,outcome/* overallStatus */.gX)(results), truncated: true, targets: results.length }]);
}
function resultObjects(results) {
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

;// CONCATENATED MODULE: ./lib/core/report-junit.js
/**
 * JUnit XML for test reporters: one test case per target and one per failed task, in a single suite. Server
 * text is neutralized (test reporters print failure messages to CI logs) and XML-escaped.
 */



/**
 * JUnit XML: one test case per target and one per failed task, in a single suite. Server text is
 * neutralized (test reporters print failure messages to CI logs) and XML-escaped.
 */
function renderJUnit(results, ctx) {
    const cases = [];
    for (const r of results) {
        const platform = r.platform || ctx.platform;
        cases.push(targetCase(r, platform));
        for (const task of r.failedTasks)
            cases.push(taskCase(r, platform, task));
    }
    const tests = cases.length;
    const failures = cases.filter((c) => c.failed).length;
    const time = seconds(cases.filter((c) => c.countsTime).reduce((sum, c) => sum + c.seconds, 0));
    const name = (0,untrusted/* xmlEscape */.fX)((0,untrusted/* flatten */.Bq)(ctx.suiteName ?? ctx.title ?? `orchestration-run: ${ctx.platform} ${ctx.mode}`));
    const timestamp = (0,untrusted/* xmlEscape */.fX)(ctx.generatedAt ?? new Date().toISOString().slice(0, 19));
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
function targetCase(r, platform) {
    const duration = r.durationSeconds !== undefined && Number.isFinite(r.durationSeconds) && r.durationSeconds >= 0 ? r.durationSeconds : 0;
    const xml = [`<testcase classname="${attr(`orchestration-run.${platform}`)}" name="${attr(r.target)}" time="${seconds(duration)}">`];
    const failed = !PASSING.has(r.status);
    if (failed) {
        const message = r.message !== undefined && (0,untrusted/* flatten */.Bq)(r.message) !== '' ? r.message : `Target ${r.status}`;
        const body = [(0,untrusted/* neutralize */.YI)(message)];
        if (r.failedTasks.length > 0) {
            body.push('Failed tasks:');
            for (const t of r.failedTasks) {
                const ref = [t.type, t.id].filter((p) => p !== undefined && p !== '').join(' ');
                body.push(`- ${(0,untrusted/* flatten */.Bq)(t.name)}${ref !== '' ? ` (${(0,untrusted/* flatten */.Bq)(ref)})` : ''}: ${(0,untrusted/* flatten */.Bq)(t.status)}`);
            }
        }
        if (r.cancel !== undefined)
            body.push(`Cancel: ${cancelText(r)}`);
        xml.push(`  <failure message="${attr(message)}" type="${r.status}">${(0,untrusted/* xmlEscape */.fX)(body.join('\n'))}</failure>`);
    }
    const out = [`Run id: ${r.runId !== undefined ? (0,untrusted/* flatten */.Bq)(r.runId) : '(none)'}`, `Status: ${r.status}${r.rawStatus ? ` (${(0,untrusted/* flatten */.Bq)(r.rawStatus)})` : ''}`];
    if (r.startedAt)
        out.push(`Started: ${(0,untrusted/* flatten */.Bq)(r.startedAt)}`);
    if (r.finishedAt)
        out.push(`Finished: ${(0,untrusted/* flatten */.Bq)(r.finishedAt)}`);
    if (r.evidence)
        out.push(`Evidence: ${(0,untrusted/* flatten */.Bq)((0,outcome/* evidenceLine */.OF)(r.evidence))}`);
    if (r.logFile)
        out.push(`Log file: ${(0,untrusted/* flatten */.Bq)(r.logFile)}`);
    xml.push(`  <system-out>${(0,untrusted/* xmlEscape */.fX)(out.join('\n'))}</system-out>`, '</testcase>');
    return { xml, failed, seconds: duration, countsTime: true };
}
function taskCase(r, platform, task) {
    const duration = spanSeconds(task.startedAt, task.finishedAt);
    const classname = attr(`orchestration-run.${platform}.${r.target}`);
    const name = attr(`${r.target} › ${task.name}`);
    let text;
    if (task.logExcerpt.length > 0)
        text = task.logExcerpt.map(untrusted/* neutralize */.YI).join('\n');
    else if (task.logNote !== undefined)
        text = (0,untrusted/* neutralize */.YI)(task.logNote);
    else
        text = 'No log lines were returned.';
    return {
        xml: [
            `<testcase classname="${classname}" name="${name}" time="${seconds(duration)}">`,
            `  <failure message="${attr(`${task.name}: ${task.status}`)}" type="failed">${(0,untrusted/* xmlEscape */.fX)(text)}</failure>`,
            '</testcase>',
        ],
        failed: true,
        seconds: duration,
        countsTime: false,
    };
}
/** A one-line attribute value: flattened because parsers turn newlines in attributes into spaces anyway. */
function attr(text) {
    return (0,untrusted/* xmlEscape */.fX)((0,untrusted/* flatten */.Bq)(text));
}
/** Seconds between two server times, when both parse; 0 otherwise (JUnit requires a number). */
function spanSeconds(start, end) {
    if (start === undefined || end === undefined)
        return 0;
    const diff = (Date.parse(end) - Date.parse(start)) / 1000;
    return Number.isFinite(diff) && diff >= 0 ? diff : 0;
}
function seconds(n) {
    return String(Math.round(n * 1000) / 1000);
}

// EXTERNAL MODULE: ./lib/core/saved-runs.js
var saved_runs = __webpack_require__(7719);
// EXTERNAL MODULE: ./lib/core/text.js
var core_text = __webpack_require__(9716);
;// CONCATENATED MODULE: ./lib/core/poll.js
/**
 * When to read next: the schedules of gaps the one waiter (wait.ts) sleeps by; what a status means lives in
 * the providers' status tables.
 *
 * Two shapes of schedule:
 *
 * - The plain schedule (no `follow` option; used while looking for a run, waiting for a target to be idle,
 *   confirming a cancel): the gap starts short and grows geometrically up to `maxDelayMs`.
 *
 * - The follow schedule (`follow` option; used while following a run until it ends):
 *   1. quick reads every 2 s for the first 4 s, so a run that ends within seconds is noticed within 2 s;
 *   2. then, without history, each gap equals the time followed so far (reads at 4, 8, 16 s…) until it
 *      reaches `poll-interval`, and from there reads fall on a grid of `poll-interval` steps (shared by all
 *      runs of a step, so their reads coincide and can be served by one list request);
 *   3. with history (`follow.expected`: median and spread of the target's recent durations), reads are
 *      placed by the chance that the run ends in each moment: read density ∝ √hazard, which minimises the
 *      mean detection lag for a given number of reads, scaled to the fewest reads that still meet the lag
 *      goal (the end seen within poll-interval / 4 — half of fixed polling's median lag — with a 65 % chance
 *      under the model), and never more reads than 98 % of what fixed polling at `poll-interval` would need
 *      for the same run (see `historyReads`).
 *
 * `poll-interval` and history: the spec calls `poll-interval` "the longest gap between two reads; the poller
 * may read sooner". Any schedule whose gaps never exceed `poll-interval` needs at least as many reads as
 * fixed polling (which reads exactly every `poll-interval`), so denser reads near the expected end can only
 * be paid for by sparser reads early. The follow schedule therefore lets a gap exceed `poll-interval` only
 * while the history gives the run at most a 1 % chance (`EARLY_END_CHANCE`) of having ended by the read
 * that ends the gap; that bound alone limits the gap (in practice one long gap from the quick reads to the
 * history's 1 % point). An early failure, which the history of successful durations does not predict, is
 * thus noticed by the 1 % point at the latest. `earlyGapFactor` caps the gap at that many poll-intervals
 * besides (for comparisons), `earlyGaps: 'poll-interval'` keeps the hard cap instead: the same lag, at the
 * cost of more reads than fixed polling (both measured in bench/polling.mjs). Once the run outlives the
 * history (past its 99th percentile), the schedule falls back to step 2's ramp.
 *
 * What the history can buy (bench/polling.mjs, runs of 12 and 30 min whose durations scatter log-normally,
 * σ 0.2, around their history's median): the reads after the 1 % point are at most `poll-interval` apart,
 * which alone costs about 0.55× fixed polling's reads at about fixed polling's median lag; half of fixed
 * polling's median lag costs 0.75× its reads. "Half the lag for half the reads" is out of reach for runs
 * this scattered: even a schedule that knew each run's true distribution would need 0.70× fixed polling's
 * reads for half its median lag under these rules (bench/polling-bound.mjs), so the default buys the lag
 * goal with the fewest reads the model allows.
 *
 * Reads shared by several targets (a batched sweep, engine/follow.ts): a sweep made for one target is a read
 * for every target it covers; `resetAt` then counts that target's next gap from the sweep.
 */
/** Quick reads while following: every QUICK_GAP_MS for the first QUICK_WINDOW_MS. */
const QUICK_GAP_MS = 2000;
const QUICK_WINDOW_MS = 4000;
/** "Cannot have ended yet": the history gives the run at most this chance of having ended by the next read. */
const EARLY_END_CHANCE = 0.01;
/** Past this quantile of the history the run is an outlier: back to the plain ramp. */
const LATE_QUANTILE_Z = 2.326; // 99 %
/** Share of fixed polling's expected reads the history-aware schedule may spend, at most. */
const BUDGET_SHARE = 0.98;
/**
 * The lag goal with history: half of fixed polling's median lag (poll-interval / 2), i.e. the end seen
 * within poll-interval / 4, with this chance under the history's model (above one half: real runs stray from
 * the model, whose spread comes from a handful of past durations).
 */
const LAG_GOAL_FRACTION = 0.25;
const LAG_GOAL_CHANCE = 0.65;
/** The densest reads the history may ask for. */
const MIN_GAP_MS = 1000;
/** Fewer durations than this, or a wider spread, and the history is not used. */
const MIN_HISTORY_SAMPLES = 3;
const MAX_SPREAD = 0.8;
const MIN_SPREAD = 0.1;
/** Runs shorter than this are covered by the quick reads; history adds nothing. */
const MIN_HISTORY_MEDIAN_MS = 10_000;
class PollSchedule {
    gap;
    max;
    factor;
    follow;
    lastGiven = 0;
    constructor(options) {
        this.max = Math.max(1, options.maxDelayMs);
        this.gap = Math.min(options.firstDelayMs ?? 1000, this.max);
        this.factor = options.factor ?? 1.5;
        this.follow = options.follow ? new FollowPlan(this.max, options.follow) : undefined;
    }
    /** Whether this schedule places its reads by the target's history. */
    get historyAware() {
        return this.follow?.historyAware ?? false;
    }
    /**
     * The sparse early phase of a follow schedule: the last gap handed out was longer than `poll-interval`,
     * which only the history's early gaps are (the run very unlikely to have ended). Live log reads skip the
     * status reads of this phase that saw no change (engine/live.ts).
     */
    get sparse() {
        return this.follow !== undefined && this.lastGiven > this.max;
    }
    /**
     * The gap before the next read; each call moves the schedule on. A follow schedule may be told the time
     * since the run started (same scale as `follow.elapsedMs`), so time spent in requests does not shift its
     * reads; without it, the schedule assumes the previous gap was slept exactly.
     */
    next(elapsedMs) {
        if (this.follow)
            return (this.lastGiven = this.follow.next(elapsedMs));
        const current = this.gap;
        this.gap = Math.min(this.max, Math.ceil(this.gap * this.factor));
        return current;
    }
    /**
     * A read this schedule did not ask for served it (a batched sweep made for another target, at `elapsedMs`
     * on the follow scale): the next gap counts from that read. Quick reads stay at most QUICK_GAP_MS apart
     * through the quick window, and the read that ends a long early gap (the history's end-chance bound) does
     * not move. No effect on a plain schedule.
     */
    resetAt(elapsedMs) {
        this.follow?.resetAt(elapsedMs);
    }
    /** Start again from the short first gap (e.g. after a status change). */
    reset(firstDelayMs) {
        this.gap = Math.min(firstDelayMs, this.max);
    }
}
/** The follow schedule: read times planned on the run's elapsed-time scale. */
class FollowPlan {
    interval;
    startMs;
    gridPhase;
    quickUntil;
    /** Planned reads by history (elapsed ms, ascending); empty without history. */
    planned;
    /** Where the history stops applying: after it, the plain ramp. */
    historyUntil;
    elapsed;
    /** The last read this schedule planned (elapsed ms): the ramp doubles planned times, not request-delayed ones. */
    lastPlanned;
    /** The read before `lastPlanned` (which may not have happened yet: a covering read can replace it). */
    previousPlanned;
    lastGap = QUICK_GAP_MS;
    /** After the history: the ramp's own gap, doubling up to poll-interval (grid snaps do not restart it). */
    rampGap;
    historyAware;
    constructor(interval, options) {
        this.interval = interval;
        this.startMs = Math.max(0, options.elapsedMs ?? 0);
        this.elapsed = this.startMs;
        this.lastPlanned = this.startMs;
        this.previousPlanned = this.startMs;
        this.gridPhase = options.gridPhaseMs ?? 0;
        this.quickUntil = this.startMs + QUICK_WINDOW_MS;
        const plan = options.expected
            ? historyReads(interval, options.expected, this.startMs, {
                earlyGaps: options.earlyGaps,
                earlyGapFactor: options.earlyGapFactor,
                budgetShare: options.budgetShare,
            })
            : undefined;
        this.planned = plan?.reads ?? [];
        this.historyUntil = plan?.until ?? this.startMs;
        this.historyAware = plan !== undefined;
    }
    next(elapsedMs) {
        const now = Math.max(elapsedMs ?? this.elapsed, this.elapsed);
        const at = this.nextReadAfter(now);
        const gap = Math.max(1, Math.round(at - now));
        this.elapsed = now + gap;
        this.lastGap = Math.max(1, Math.round(at - this.lastPlanned));
        this.previousPlanned = this.lastPlanned;
        this.lastPlanned = at;
        return gap;
    }
    /** A read at `elapsedMs` that this plan did not ask for: later reads count from it (see PollSchedule.resetAt). */
    resetAt(elapsedMs) {
        // It replaces the read last handed out (not taken yet) when it came before it.
        const previous = elapsedMs < this.lastPlanned ? this.previousPlanned : this.lastPlanned;
        if (!(elapsedMs > previous))
            return;
        this.lastGap = Math.max(1, Math.round(elapsedMs - previous));
        this.previousPlanned = previous;
        this.lastPlanned = elapsedMs;
        this.elapsed = elapsedMs;
    }
    /** The next read after the last one (`lastPlanned`, planned or not), no sooner than a moment after `now`. */
    nextReadAfter(now) {
        const soonest = now + Math.min(MIN_GAP_MS, this.interval) / 4;
        const last = this.lastPlanned;
        // 1. quick reads: at most QUICK_GAP_MS apart, and one at the end of the quick window
        if (last < this.quickUntil) {
            let at = last + QUICK_GAP_MS;
            while (at < soonest)
                at += QUICK_GAP_MS;
            // The window's end is read too: at it, or a moment after when a covering read came just before it.
            if (at > this.quickUntil)
                at = Math.max(this.quickUntil, soonest);
            return Math.min(at, now + this.interval);
        }
        // 3. history, while it applies
        if (now < this.historyUntil) {
            const at = this.plannedAfter(last, soonest);
            if (at !== undefined)
                return at;
        }
        // 2. the ramp: each gap as long as the time followed so far (or, once the run outlived its history,
        //    twice the last gap), up to poll-interval; reads snap to the shared grid when it comes first.
        let ramp;
        if (this.historyAware) {
            this.rampGap = Math.min(this.interval, Math.max(QUICK_GAP_MS, (this.rampGap ?? this.lastGap) * 2));
            ramp = this.rampGap;
        }
        else {
            ramp = Math.max(QUICK_GAP_MS, last - this.startMs);
        }
        return Math.min(Math.max(last + ramp, soonest), this.nextGridPoint(now));
    }
    /**
     * The history's next read after a read at `last`: one of the plan's gaps later (the gap of the plan where
     * `last` falls, so a read the plan did not ask for shifts the ones after it). A long early gap ends at its
     * planned read, where the end-chance bound put it, unless a read came within poll-interval of it: that
     * read stands for it, and the next gap (never longer than poll-interval) counts from it.
     */
    plannedAfter(last, soonest) {
        const planned = this.planned;
        let at = last;
        let i = 0;
        for (let guard = 0; guard < planned.length + 2; guard++) {
            while (i < planned.length && planned[i] <= at + 0.5)
                i++;
            if (i >= planned.length)
                return undefined;
            const next = planned[i];
            const gap = next - (i > 0 ? planned[i - 1] : this.startMs);
            if (gap > this.interval) {
                const after = planned[i + 1];
                at = next - at > this.interval || after === undefined ? next : at + Math.min(after - next, this.interval);
            }
            else {
                at = at + gap <= next + 0.5 ? next : at + gap;
            }
            if (at >= soonest)
                return at;
        }
        return undefined;
    }
    /** The first grid point at least MIN_GAP_MS after now (never more than one interval ahead). */
    nextGridPoint(now) {
        const k = Math.floor((now - this.gridPhase) / this.interval) + 1;
        let at = this.gridPhase + k * this.interval;
        if (at - now < Math.min(MIN_GAP_MS, this.interval))
            at += this.interval;
        return Math.min(at, now + this.interval);
    }
}
// ---------------------------------------------------------------------------------------------------------
// History
/**
 * The expected duration of the next run from the durations (seconds) of recent successful runs, or
 * undefined when they are too few, too short to matter, or too scattered to say anything.
 */
function expectedFromHistory(durationsSeconds) {
    const ms = durationsSeconds.filter((d) => Number.isFinite(d) && d >= 0).map((d) => Math.max(500, d * 1000));
    if (ms.length < MIN_HISTORY_SAMPLES)
        return undefined;
    const sorted = [...ms].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const medianMs = sorted.length % 2 ? sorted[mid] : Math.sqrt(sorted[mid - 1] * sorted[mid]);
    if (medianMs < MIN_HISTORY_MEDIAN_MS)
        return undefined;
    const logs = ms.map((d) => Math.log(d));
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1));
    // A handful of samples underestimates the spread: widen it a little (√(1 + 2/n)), and never trust it below 10 %.
    const spread = Math.max(MIN_SPREAD, sd * Math.sqrt(1 + 2 / logs.length));
    if (spread > MAX_SPREAD)
        return undefined;
    return { medianMs, spread, samples: ms.length };
}
/**
 * Read times for a run expected to take `expected` (log-normal), starting `startMs` into the run.
 *
 * Gaps are c/√hazard(t), clamped to [MIN_GAP_MS, limit(t)] where limit is `poll-interval`, or more while
 * the history gives the run at most EARLY_END_CHANCE of having ended by the read that ends the gap (no
 * other cap, unless `earlyGapFactor` sets one). The constant c is the largest (fewest reads) for which the
 * model still sees the end within the lag goal (LAG_GOAL_FRACTION × poll-interval) with LAG_GOAL_CHANCE,
 * but never so small that the expected number of reads (given that the run is going at `startMs`) exceeds
 * BUDGET_SHARE of fixed polling's at `poll-interval` — or, for runs so short that the quick reads alone
 * cost more than that, two reads beyond the quick ones. With `budgetShare`, c spends that share instead.
 */
function historyReads(interval, expected, startMs, options = {}) {
    const earlyGapFactor = options.earlyGapFactor ?? Infinity;
    const model = logNormal(expected.medianMs, expected.spread);
    const until = model.quantile(LATE_QUANTILE_Z);
    const s0 = model.survival(startMs);
    if (!(s0 > 1e-6) || until <= startMs + QUICK_WINDOW_MS)
        return undefined;
    const survival = (t) => model.survival(t) / s0;
    const earlyEnd = model.quantile(inverseNormal(EARLY_END_CHANCE));
    const quick = [startMs + QUICK_GAP_MS, startMs + QUICK_WINDOW_MS];
    const plan = (c, sparse) => {
        const reads = [...quick];
        let t = reads[reads.length - 1];
        while (t < until && reads.length < 10_000) {
            const h = model.hazard(t);
            let gap = h > 0 ? c / Math.sqrt(h) : Infinity;
            let limit = interval;
            if (sparse && t + interval <= earlyEnd)
                limit = Math.max(interval, Math.min(earlyGapFactor * interval, earlyEnd - t));
            gap = Math.max(Math.min(MIN_GAP_MS, interval), Math.min(gap, limit));
            t += gap;
            reads.push(t);
        }
        return reads;
    };
    /** Expected reads after the first one at startMs: read i happens if the run was still going at read i-1. */
    const cost = (reads) => {
        let n = 1;
        let previous = startMs;
        for (const at of reads) {
            n += survival(previous);
            previous = at;
        }
        return n;
    };
    /** The model's chance that the end is seen within the lag goal. */
    const goalLag = LAG_GOAL_FRACTION * interval;
    const withinGoal = (reads) => {
        let p = 0;
        let previous = startMs;
        for (const at of reads) {
            p += survival(Math.max(previous, at - goalLag)) - survival(at);
            previous = at;
        }
        return p;
    };
    let fixed = 1;
    for (let k = 0; k < 100_000; k++) {
        const s = survival(startMs + k * interval);
        fixed += s;
        if (s < 1e-9)
            break;
    }
    // Both cost and the chance of meeting the lag goal fall as c grows (sparser reads): bisections on a log
    // scale. The budget: a little under fixed polling's count, so that runs scattered around the model do not
    // tip it over. With the hard cap no c meets it; the capped plan keeps the density near the end that the
    // sparse plan affords, and pays for it with more reads than fixed polling.
    /** Where `ok` (true for small c, false for large c) flips: the largest c for which it holds. */
    const largestOk = (ok) => {
        let [low, high] = [1e-3, 1e6];
        if (ok(high))
            return high;
        if (!ok(low))
            return undefined;
        for (let i = 0; i < 60; i++)
            [low, high] = ok(Math.sqrt(low * high)) ? [Math.sqrt(low * high), high] : [low, Math.sqrt(low * high)];
        return low;
    };
    const budget = Math.max((options.budgetShare ?? BUDGET_SHARE) * fixed, cost(quick) + 2);
    // The fewest reads within budget: the smallest c whose cost fits (just above the largest that does not).
    const overBudget = largestOk((c) => cost(plan(c, true)) > budget);
    const withinBudget = overBudget === undefined ? 1e-3 : Math.min(1e6, overBudget * (1 + 1e-9));
    const forGoal = options.budgetShare === undefined ? largestOk((c) => withinGoal(plan(c, true)) >= LAG_GOAL_CHANCE) : undefined;
    const c = Math.max(withinBudget, forGoal ?? 0);
    return { reads: plan(c, (options.earlyGaps ?? 'history') === 'history'), until };
}
/** Log-normal duration model (ms). */
function logNormal(medianMs, spread) {
    const mu = Math.log(medianMs);
    const z = (t) => (Math.log(Math.max(t, 1e-9)) - mu) / spread;
    return {
        survival: (t) => (t <= 0 ? 1 : 1 - normalCdf(z(t))),
        hazard: (t) => {
            if (t <= 0)
                return 0;
            const zt = z(t);
            const s = 1 - normalCdf(zt);
            const density = Math.exp(-0.5 * zt * zt) / (Math.sqrt(2 * Math.PI) * t * spread);
            return s > 1e-12 ? density / s : density / 1e-12;
        },
        quantile: (zq) => medianMs * Math.exp(spread * zq),
    };
}
/** Φ(x), from the complementary error function (Numerical Recipes erfcc, |error| < 1.2e-7). */
function normalCdf(x) {
    const z = Math.abs(x) / Math.SQRT2;
    const t = 1 / (1 + 0.5 * z);
    const erfc = t *
        Math.exp(-z * z -
            1.26551223 +
            t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}
function inverseNormal(p) {
    let low = -10;
    let high = 10;
    for (let i = 0; i < 80; i++) {
        const mid = (low + high) / 2;
        if (normalCdf(mid) < p)
            low = mid;
        else
            high = mid;
    }
    return (low + high) / 2;
}

;// CONCATENATED MODULE: ./lib/core/engine/live.js


class LiveLogs {
    run;
    backlog;
    cursors = new Map();
    /** Lines printed per run id. */
    printed = new Map();
    /** Runs whose last lines were drained after their end. */
    drained = new Set();
    constructor(run, backlog = () => outputBacklog()) {
        this.run = run;
        this.backlog = backlog;
    }
    /** How many lines of this run were printed live. */
    printedFor(runId) {
        return this.printed.get(runId) ?? 0;
    }
    /**
     * After a status read of `handle` (its observation, whether it changed the status, whether the schedule is
     * in its sparse early phase): reads the new lines when the cost rule allows.
     */
    async afterStatusRead(target, handle, observation, changed, sparse) {
        const provider = this.run.provider;
        if (!provider.liveLog || observation.notFound)
            return;
        const ended = (0,outcome/* isTerminal */.Hd)(observation.state);
        if (ended) {
            if (this.drained.has(handle.runId))
                return;
            this.drained.add(handle.runId);
        }
        else if (observation.state !== 'running' || (sparse && !changed)) {
            return;
        }
        const { host, logFile } = this.run.step;
        const prefix = this.run.label;
        let count = this.printedFor(handle.runId);
        try {
            const read = await provider.liveLog(target, handle, observation, this.cursors.get(handle.runId), (line) => {
                const text = `${prefix} › ${line.label}: ${line.text}`;
                logFile.line(text);
                host.info(text);
                count++;
                return this.backlog();
            });
            this.cursors.set(handle.runId, read.cursor);
            for (const note of read.notes) {
                logFile.note(`${prefix}: live log: ${note}`);
                host.info(`${prefix}: live log: ${note}`);
            }
            for (const warning of read.warnings ?? []) {
                logFile.note(`${prefix}: live log: ${warning}`);
                host.warning(`${prefix}: live log: ${warning}`);
            }
        }
        catch (error) {
            // liveLog reports failing reads as notes; anything else (a stop) ends the following as usual.
            if (this.run.signal.aborted)
                throw error;
            host.warning(`${prefix}: live log of run ${handle.runId} could not be read: ${(0,core_text/* errorText */.kc)(error)}${ended ? '' : ' (the next status read tries again)'}`);
        }
        finally {
            this.printed.set(handle.runId, count);
        }
    }
}
/**
 * What `logs: live` says for a platform without a log endpoint: once per step, or once per target naming
 * where its run's logs are when the provider can tell (`liveLogAbsent`, e.g. Qarion's Airflow run).
 */
function noLiveLogLine(platform, where) {
    const start = `logs: live: the API of platform ${platform} has no log endpoint, so no log lines can be printed while the run runs; `;
    if (where !== undefined)
        return `${start}the status changes are printed as usual, and ${where}`;
    return `${start}the status changes are printed as usual, and a run that fails points to its task logs on the platform that ran it (as with logs: on-failure)`;
}
/** Says once that this target's platform has no log endpoint, and where its run's logs are when the provider knows. */
function sayNoLiveLog(run, target) {
    const { step, provider } = run;
    if (provider.liveLogAbsent && run.handles.length > 0) {
        if (!step.once(`no-live-log:${run.label}`))
            return;
        const where = run.handles.map((h) => `run ${h.runId} are in ${provider.liveLogAbsent(target, h)}`).join('; ');
        step.host.info(noLiveLogLine(run.spec.platform, `the task logs of ${run.label} ${where}`));
        return;
    }
    if (step.once('no-live-log'))
        step.host.info(noLiveLogLine(run.spec.platform));
}
/** Bytes waiting in the process's output before a live read pauses for it to drain. */
const OUTPUT_BACKLOG_BYTES = 1 << 20;
/** Longest pause for a drain (a stream that never drains must not stop the following). */
const DRAIN_WAIT_MS = 5_000;
/**
 * The hosts print to the process's stdout and stderr; on a pipe Node writes asynchronously and keeps what the
 * reader has not taken yet in memory. A live log printed faster than a CI runner reads would pile up there
 * (tens of MiB for a 200,000-line log): past 1 MiB waiting, the live read waits for a drain (so the HTTP read
 * of the log waits too).
 */
function outputBacklog(streams = [process.stdout, process.stderr]) {
    for (const stream of streams) {
        // Only a stream that said it is full emits 'drain' (stdout's high-water mark is far below 1 MiB).
        if (stream.writableLength <= OUTPUT_BACKLOG_BYTES || stream.destroyed || !stream.writableNeedDrain)
            continue;
        return new Promise((resolve) => {
            const done = () => {
                clearTimeout(timer);
                stream.off('drain', done);
                stream.off('close', done);
                resolve();
            };
            const timer = setTimeout(done, DRAIN_WAIT_MS);
            stream.once('drain', done);
            stream.once('close', done);
        });
    }
    return undefined;
}

;// CONCATENATED MODULE: ./lib/core/engine/follow.js






/** Every run followed has ended (a terminal state). */
const runEnded = { name: 'run ended', state: 'success', matches: (round) => round.ended };
/** A run stayed unseen on the platform (a wrong run-id, a run that vanished): fail instead of waiting it out. */
const runMissing = { name: 'run missing', state: 'failure', matches: (round) => round.missing !== undefined };
/**
 * Reads every open run of this target until all have ended. The reads are spaced by a follow schedule
 * (poll.ts): quick reads, then by the target's run history when this step started the run and the
 * provider has one, else a ramp to poll-interval on a grid shared by the step's targets. The reads
 * themselves go through the step's FollowReads, which batches them across targets where it can.
 */
async function followRuns(run, target) {
    const { clock, options } = run.step;
    const heartbeatMs = options.heartbeatMs ?? 5 * 60_000;
    const polling = options.polling ?? {};
    const interval = run.step.settings.pollIntervalMs;
    const expected = await expectedDuration(run, target);
    // The schedule's time scale: since the trigger when this step started the run, else since following began.
    let origin = run.triggeredAt ?? clock.now();
    const makeSchedule = (withHistory) => polling.strategy === 'fixed'
        ? new PollSchedule({ maxDelayMs: interval, firstDelayMs: interval, factor: 1 })
        : new PollSchedule({
            maxDelayMs: interval,
            follow: {
                elapsedMs: clock.now() - origin,
                expected: withHistory ? expected : undefined,
                gridPhaseMs: run.step.startedAt - origin,
                earlyGaps: polling.earlyGaps,
                earlyGapFactor: polling.earlyGapFactor,
                budgetShare: polling.budgetShare,
            },
        });
    let schedule;
    let waitingForStart = false;
    let lastGap = 0;
    let lastLine = clock.now();
    /** When each run was first seen missing on the platform (reset when it shows up). */
    const missingSince = new Map();
    const missingWindowMs = options.confirmWindowMs ?? 30_000;
    const reads = run.step.followReads;
    const primary = () => run.last.get(run.handles[0].runId);
    const live = liveLogsFor(run, target);
    const openHandles = () => run.handles.filter((h) => !(0,outcome/* isTerminal */.Hd)(run.last.get(h.runId)?.state ?? 'unknown'));
    // A sweep made for another target that read this one's runs: its answers wake this target, which takes
    // them as its next read (no request) and counts its next gap from the sweep.
    const waker = wakeableClock(clock, run.step.deadline);
    let covered;
    let coveredRead;
    /** This target's own read is under way: a sweep's answers from meanwhile are not newer. */
    let reading = false;
    let roundsRead = 0;
    const member = {
        target,
        open: openHandles,
        covered: (at, answers) => {
            if (reading || (covered && covered.at > at))
                return;
            covered = { at, answers };
            waker.wake();
        },
    };
    const readRound = async () => {
        const open = openHandles();
        if (open.length === 0)
            return { ended: true };
        const rounds = roundsRead++;
        const answers = covered;
        covered = undefined;
        waker.settle();
        const fromSweep = answers !== undefined && open.every((h) => answers.answers.has(h.runId));
        if (fromSweep)
            coveredRead = answers.at;
        let observations;
        if (fromSweep) {
            observations = open.map((handle) => answers.answers.get(handle.runId));
        }
        else {
            reading = true;
            try {
                // The first read may wait for a sweep a little (the find has just seen the run going), no longer
                // than the quick reads' gap or poll-interval.
                const waitMs = rounds === 0 ? Math.min(QUICK_GAP_MS, interval) : undefined;
                observations = await Promise.all(open.map((handle) => reads.observe(member, handle, run.signal, waitMs)));
            }
            finally {
                reading = false;
            }
        }
        for (const [i, handle] of open.entries()) {
            const observation = observations[i];
            if (observation.notFound) {
                const since = missingSince.get(handle.runId) ?? clock.now();
                missingSince.set(handle.runId, since);
                if (clock.now() - since >= missingWindowMs) {
                    const missing = `run ${handle.runId} does not exist on ${run.spec.platform}, or is not visible to this key: ${observation.progress ?? 'the platform does not show it'} (checked for ${formatMs(clock.now() - since)})`;
                    return { ended: false, missing };
                }
            }
            else {
                missingSince.delete(handle.runId);
            }
            const previous = run.last.get(handle.runId);
            run.last.set(handle.runId, observation);
            const changed = !previous || previous.rawStatus !== observation.rawStatus || previous.state !== observation.state;
            if (changed) {
                run.info(`run ${handle.runId} is ${describe(observation)}`);
                lastLine = clock.now();
            }
            else if (observation.progress && observation.progress !== previous.progress) {
                run.info(`run ${handle.runId}: ${observation.progress}`);
                lastLine = clock.now();
            }
            if (live) {
                const before = live.printedFor(handle.runId);
                // A sweep's answer that changed nothing reads no log (the target's own reads do, as before).
                await live.afterStatusRead(target, handle, observation, changed, fromSweep || (schedule?.sparse ?? false));
                if (live.printedFor(handle.runId) > before)
                    lastLine = clock.now();
            }
        }
        return { ended: run.handles.every((h) => (0,outcome/* isTerminal */.Hd)(run.last.get(h.runId).state)) };
    };
    /** Before each gap: the schedule follows the run's start, and a heartbeat line when nothing was said for long. */
    const beforeGap = () => {
        const state = primary().state;
        if (!schedule) {
            // The history counts from the run's start: a run still queued gets it once it runs.
            waitingForStart = expected !== undefined && state === 'queued';
            schedule = makeSchedule(!waitingForStart);
        }
        else if (waitingForStart && state !== 'queued') {
            waitingForStart = false;
            origin = clock.now() - lastGap / 2;
            schedule = makeSchedule(true);
        }
        if (clock.now() - lastLine >= heartbeatMs) {
            const elapsed = formatMs(clock.now() - run.step.startedAt);
            run.info(`still ${describe(primary())} after ${elapsed}`);
            lastLine = clock.now();
        }
    };
    const leave = reads.join(member);
    try {
        const result = await run.waitFor({
            read: readRound,
            accept: [runMissing, runEnded],
            onRetry: beforeGap,
            schedule: () => {
                if (coveredRead !== undefined)
                    schedule.resetAt(coveredRead - origin);
                coveredRead = undefined;
                lastGap = schedule.next(clock.now() - origin);
                // A gap longer than poll-interval (the history's early gap) never skips the deadline: one read comes
                // a moment before it, so an early end is seen rather than timed out.
                const left = run.step.deadline - clock.now();
                if (lastGap > interval && lastGap >= left && left > 2000)
                    lastGap = Math.round(left - 1000);
                return lastGap;
            },
            clock: waker.clock,
        });
        if (result.state === 'failure')
            throw new TargetFailure(result.observation.missing);
    }
    finally {
        leave();
    }
}
/** The target's live logs with `logs: live`, where the provider reads them; else says once why there are none. */
function liveLogsFor(run, target) {
    if (run.step.settings.logs !== 'live')
        return undefined;
    if (run.provider.liveLog)
        return (run.live ??= new LiveLogs(run));
    sayNoLiveLog(run, target);
    return undefined;
}
/**
 * The target's expected duration from its run history, when this step started the run (so its start is
 * known). Batched reads too: a sweep goes out when the first target needs one and is a read for all.
 */
async function expectedDuration(run, target) {
    const polling = run.step.options.polling ?? {};
    if (run.triggeredAt === undefined || polling.history === false || polling.strategy === 'fixed' || !run.provider.history)
        return undefined;
    try {
        const expected = expectedFromHistory(await run.provider.history(target));
        if (expected) {
            // Said once, so that a quiet log (reads are sparse early in a long run) is explained.
            const end = new Date(run.triggeredAt + expected.medianMs).toISOString();
            run.info(`expected to end around ${end.slice(11, 16)} UTC (in about ${formatMs(expected.medianMs)}), from ${expected.samples ?? 'the'} past runs; status reads follow that history`);
        }
        return expected;
    }
    catch (error) {
        run.step.host.debug(`${run.label}: no run history for polling (${(0,core_text/* errorText */.kc)(error)}); reading on the plain schedule`);
        return undefined;
    }
}
/**
 * The step's clock, for one target's follow waits, whose sleep `wake()` cuts short (a sweep answered for the
 * target); a wake while the target is not asleep cuts its next sleep to nothing, unless `settle()` came first
 * (the answers were taken). Never the last sleep before the deadline: waitFor would take its end for the
 * deadline's; the target then ends as it would have without the sweep.
 */
function wakeableClock(clock, deadline) {
    let wakeUp;
    let pending = false;
    const woken = Symbol('woken');
    return {
        clock: {
            now: () => clock.now(),
            async sleep(ms, signal) {
                if (clock.now() + ms >= deadline)
                    return clock.sleep(ms, signal);
                signal?.throwIfAborted();
                if (pending) {
                    pending = false;
                    return;
                }
                const inner = new AbortController();
                const relay = () => inner.abort(signal.reason);
                signal?.addEventListener('abort', relay, { once: true });
                wakeUp = () => inner.abort(woken);
                try {
                    await clock.sleep(ms, inner.signal);
                }
                catch (error) {
                    if (inner.signal.reason !== woken)
                        throw error;
                }
                finally {
                    wakeUp = undefined;
                    signal?.removeEventListener('abort', relay);
                }
            },
        },
        wake: () => {
            if (wakeUp)
                wakeUp();
            else
                pending = true;
        },
        settle: () => {
            pending = false;
        },
    };
}
/** Longest wait for other targets' reads to join a batch. */
const GATHER_MS = 250;
/**
 * The status reads of the runs a step follows. With a provider that can read many runs at once
 * (`observeMany`, e.g. one list request per page for all tasks of a workspace) and more than one target
 * following, the reads are sweeps: the first target that needs a read starts one, reads asked within a short
 * window join it, and it reads the open runs of every target following — for the targets that did not ask,
 * its answers are a read all the same (FollowMember.covered: the target takes them at once and counts its
 * next gap from the sweep). So the sweeps follow the soonest-needed target's schedule, and an end is seen at
 * the first sweep after it, whoever asked. Otherwise each run is read on its own.
 */
class FollowReads {
    provider;
    clock;
    stepSignal;
    batching;
    members = new Set();
    batch;
    /** When the batch being gathered goes out (clock time), and how to wake its wait sooner. */
    flushAt = 0;
    flushSooner;
    gatherMs;
    constructor(provider, clock, pollIntervalMs, stepSignal, 
    /** The step has several targets and the provider reads many runs at once. */
    batching) {
        this.provider = provider;
        this.clock = clock;
        this.stepSignal = stepSignal;
        this.batching = batching;
        this.gatherMs = Math.max(1, Math.min(GATHER_MS, Math.floor(pollIntervalMs / 4)));
    }
    /** A target starts following; call the returned function when it stops. */
    join(member) {
        this.members.add(member);
        return () => {
            this.members.delete(member);
        };
    }
    /**
     * One run's status. Batched: it joins the sweep being gathered, or starts one; the sweep goes out when the
     * earliest of its reads is due (each may wait `waitMs`, default the short gather window).
     */
    observe(member, handle, signal, waitMs = this.gatherMs) {
        if (!this.batching || !this.provider.observeMany || this.members.size < 2)
            return this.provider.observe(member.target, handle);
        signal.throwIfAborted();
        return new Promise((resolve, reject) => {
            // The batch belongs to the step: a target stopped (fail-fast) stops waiting, not the others' reads.
            const onAbort = () => reject(signal.reason);
            signal.addEventListener('abort', onAbort, { once: true });
            const waiting = {
                member,
                handle,
                resolve: (observation) => {
                    signal.removeEventListener('abort', onAbort);
                    resolve(observation);
                },
                reject: (error) => {
                    signal.removeEventListener('abort', onAbort);
                    reject(error);
                },
            };
            const due = this.clock.now() + Math.max(this.gatherMs, waitMs);
            if (this.batch) {
                this.batch.push(waiting);
                if (due < this.flushAt) {
                    this.flushAt = due;
                    this.flushSooner?.abort();
                }
            }
            else {
                this.batch = [waiting];
                this.flushAt = due;
                void this.flushSoon();
            }
        });
    }
    async flushSoon() {
        // Until the earliest read of the batch is due (a read that joins may bring it forward).
        while (this.clock.now() < this.flushAt && !this.stepSignal.aborted) {
            const sooner = new AbortController();
            const relay = () => sooner.abort();
            this.stepSignal.addEventListener('abort', relay, { once: true });
            this.flushSooner = sooner;
            try {
                await this.clock.sleep(this.flushAt - this.clock.now(), sooner.signal);
            }
            catch {
                // Brought forward, or the step stopped (the reads below then fail at once with its reason).
            }
            finally {
                this.stepSignal.removeEventListener('abort', relay);
                this.flushSooner = undefined;
            }
        }
        const batch = this.batch ?? [];
        this.batch = undefined;
        // The runs of the targets that did not ask, read by the same sweep.
        const asked = new Set(batch.map((w) => w.member));
        const others = [];
        if (!this.stepSignal.aborted) {
            for (const member of this.members)
                if (!asked.has(member))
                    for (const handle of member.open())
                        others.push({ member, handle });
        }
        const at = this.clock.now();
        await core_http/* requestScope */.cG.run({ signal: this.stepSignal }, async () => {
            try {
                if (batch.length === 1 && others.length === 0) {
                    batch[0].resolve(await this.provider.observe(batch[0].member.target, batch[0].handle));
                    return;
                }
                const items = [...batch, ...others].map(({ member, handle }) => ({ target: member.target, handle }));
                const results = await this.provider.observeMany(items);
                batch.forEach((waiting, i) => {
                    const result = results[i];
                    if (result === undefined)
                        waiting.reject(new Error(`no status was read for run ${waiting.handle.runId}`));
                    else if (result instanceof Error)
                        waiting.reject(result);
                    else
                        waiting.resolve(result);
                });
                // A run the sweep could not read is read by its own target's next read, as before.
                const answers = new Map();
                others.forEach(({ member, handle }, i) => {
                    const result = results[batch.length + i];
                    if (result === undefined || result instanceof Error)
                        return;
                    if (!answers.has(member))
                        answers.set(member, new Map());
                    answers.get(member).set(handle.runId, result);
                });
                for (const [member, read] of answers)
                    if (this.members.has(member))
                        member.covered(at, read);
            }
            catch (error) {
                for (const waiting of batch)
                    waiting.reject(error);
            }
        });
    }
}

;// CONCATENATED MODULE: ./lib/core/wait.js
async function waitFor(options) {
    const { clock, signal } = options;
    let reads = 0;
    let observation;
    const last = () => (reads > 0 ? { observation: observation } : {});
    for (;;) {
        if (signal?.aborted)
            return { state: 'aborted', reason: signal.reason, reads, ...last() };
        observation = await options.read();
        reads++;
        const now = clock.now();
        const decided = options.accept.find((acceptor) => acceptor.matches(observation, now));
        if (decided && decided.state !== 'retry')
            return { state: decided.state, acceptor: decided.name, observation, reads };
        options.onRetry?.(observation);
        let gap = options.schedule();
        const after = clock.now();
        if (options.windowEnd !== undefined && after < options.windowEnd)
            gap = Math.min(gap, options.windowEnd - after);
        const left = options.deadline === undefined ? Infinity : options.deadline - after;
        try {
            await clock.sleep(Math.max(0, Math.min(gap, left)), signal);
        }
        catch (error) {
            if (signal?.aborted)
                return { state: 'aborted', reason: signal.reason, reads, ...last() };
            throw error;
        }
        if (gap >= left)
            return { state: 'timeout', reads, ...last() };
    }
}

;// CONCATENATED MODULE: ./lib/core/engine/stop.js
/**
 * A target stopped (the step's timeout, a CI cancellation, fail-fast) or failed with an error: what it was
 * doing, one look for the run of a trigger still in flight, and the cancel of the runs this step started
 * (where the platform can), followed until the cancel has settled.
 */





/** The run has ended after a cancel (a cancel is confirmed by the end it causes). */
const cancelSettled = { name: 'cancel settled', state: 'success', matches: (observation) => (0,outcome/* isTerminal */.Hd)(observation.state) };
/** The result of a target whose life ended with an error or a stop; never throws. */
async function resultFromError(run, error) {
    const stop = stopReason(error, run.signal);
    if (stop) {
        // The state when the step stopped, before any cancel changed it.
        const when = run.handles.length ? ` while run ${run.handles[0].runId} was ${describe(run.last.get(run.handles[0].runId))}` : '';
        let inFlight = '';
        if (run.handles.length === 0 && run.triggeredAt !== undefined && run.target) {
            // Stopped while the trigger was in flight or its run was being looked for: one look for that run.
            inFlight = await lookAfterStop(run, run.target);
        }
        const cancel = await cancelRemote(run, stop.status);
        if (run.handles.length > 0) {
            const primary = run.handles[0];
            const ours = run.identities.get(primary.runId)?.ours === true;
            // Settled when the run has ended (a cancel is confirmed by the end it causes) or was not ours to cancel;
            // otherwise the post step retries the cancel and reports the final state it reads.
            const settled = !ours || (0,outcome/* isTerminal */.Hd)(run.last.get(primary.runId)?.state ?? 'unknown') || (cancel !== undefined && !cancel.requested);
            run.step.saveRun(run.index, primary.runId, settled, settled || !cancel?.requested ? undefined : 'unconfirmed');
        }
        const message = `${stop.message}${when}${inFlight}`;
        return run.result({ status: stop.status, message, cancel });
    }
    const message = run.explain(error);
    run.step.host.debug(`${run.label}: ${error instanceof Error && error.stack ? error.stack : String(error)}`);
    return run.result({ status: 'failed', message });
}
/**
 * The step stopped after the trigger was sent but before its run was known: one look for that run, so it
 * can be cancelled (when it is provably ours) and reported. Otherwise the saved trigger lets the post step
 * look again.
 */
async function lookAfterStop(run, target) {
    try {
        const found = await run.provider.find(target, run.baseline);
        if (found.kind !== 'found')
            return '; the trigger had been sent, and no run it started was seen yet';
        const all = [found.handle, ...(found.others ?? [])];
        // The trigger's answer never came: only a run carrying our own marker is proven ours (and so cancelled).
        const ours = all.length === 1 && run.provider.adoption === 'own-marker';
        run.adopt(all, { detail: found.identity ?? 'a new run: not in the baseline taken just before the trigger', ours, adopted: true });
        return `; the trigger had been sent and run ${all.map((h) => h.runId).join(', ')} had started`;
    }
    catch (error) {
        return `; the trigger had been sent, and its run could not be looked for (${(0,core_text/* errorText */.kc)(error)})`;
    }
}
async function cancelRemote(run, status) {
    const unfinished = run.handles.filter((h) => !(0,outcome/* isTerminal */.Hd)(run.last.get(h.runId)?.state ?? 'unknown'));
    if (unfinished.length === 0)
        return undefined;
    // Never cancel a run this step did not start (attached, waited for, or adopted as an equivalent load).
    const foreign = unfinished.filter((h) => run.identities.get(h.runId)?.ours !== true);
    const open = unfinished.filter((h) => run.identities.get(h.runId)?.ours === true);
    if (foreign.length > 0) {
        const note = `run ${foreign.map((h) => h.runId).join(', ')} was not started by this step: not cancelled, it keeps going on the server`;
        run.info(note);
        if (open.length === 0)
            return { requested: false, accepted: false, note };
    }
    const wanted = status === 'cancelled' || run.step.settings.cancelOnTimeout;
    if (!wanted) {
        return { requested: false, accepted: false, note: 'not cancelled (cancel-on-timeout: false); the remote run keeps going' };
    }
    if (!run.provider.cancel || !run.target) {
        const note = `${run.spec.platform} offers no way to cancel a run: run ${open.map((h) => h.runId).join(', ')} keeps going on the server`;
        run.step.host.warning(`${run.label}: ${note}`);
        return { requested: false, accepted: false, note };
    }
    run.phase = 'cancel';
    const notes = [];
    let accepted = true;
    for (const handle of open) {
        try {
            const report = await run.provider.cancel(run.target, handle);
            accepted &&= report.accepted;
            notes.push(report.note);
            // Refused or accepted, the run's real final state is what the user needs (a refused cancel usually
            // means it had just ended).
            notes.push(await finalStateAfterCancel(run, run.target, handle, status));
        }
        catch (error) {
            accepted = false;
            notes.push(`cancel of run ${handle.runId} failed: ${(0,core_text/* errorText */.kc)(error)}`);
        }
    }
    const note = notes.join('; ');
    run.info(note);
    return { requested: true, accepted, note };
}
/**
 * Cancellation is cooperative on some platforms: the run may finish its batch and even end `completed`.
 * Read it until it ends (within the cancel budget, on the step's clock) and report what really happened.
 */
async function finalStateAfterCancel(run, target, handle, status) {
    const { clock } = run.step;
    const schedule = new PollSchedule({ maxDelayMs: Math.min(run.step.settings.pollIntervalMs, 2000), firstDelayMs: 200 });
    const until = clock.now() + (run.step.options.cancelBudgetMs ?? 15_000) - 500;
    if (clock.now() >= until)
        return `run ${handle.runId} was still ${describe(undefined)} when the step stopped waiting for the cancel to finish`;
    try {
        // No signal: the step's own has fired; the cancel budget bounds the requests (see the step's runTarget).
        const result = await waitFor({
            read: async () => {
                const observation = await run.provider.observe(target, handle);
                run.last.set(handle.runId, observation);
                return observation;
            },
            accept: [cancelSettled],
            schedule: () => schedule.next(),
            deadline: until,
            clock,
        });
        if (result.state === 'success') {
            const last = result.observation;
            const stays = last.state === 'succeeded' ? `; the step stays ${status}: the run did not end within the step` : '';
            return `run ${handle.runId} ended ${describe(last)} after the cancel${stays}`;
        }
        return `run ${handle.runId} was still ${describe(result.observation)} when the step stopped waiting for the cancel to finish`;
    }
    catch (error) {
        return `the state of run ${handle.runId} after the cancel could not be read: ${(0,core_text/* errorText */.kc)(error)}`;
    }
}

;// CONCATENATED MODULE: ./lib/core/engine/evidence.js
/**
 * Verdicts are evidence: a target is green only when every proof that applies holds for every run it
 * followed (identity, a success word, an end seen on the platform, its members for a composite run, the
 * complete history for mode check). There is no path to `succeeded` that skips one; a missing proof names
 * itself.
 */

/** The identity proof of the runs followed (all of them must hold). */
function identityProof(run) {
    if (run.handles.length === 0)
        return { ok: false, detail: 'no run was identified' };
    const parts = run.handles.map((h) => {
        const id = run.identities.get(h.runId);
        return { runId: h.runId, ok: id !== undefined, detail: id?.detail ?? 'not identified' };
    });
    const ok = parts.every((p) => p.ok);
    const detail = parts.length === 1 ? parts[0].detail : parts.map((p) => `run ${p.runId}: ${p.detail}`).join(' | ');
    return { ok, detail };
}
/**
 * The evidence behind the verdict of the runs followed. Green only when every required proof holds for
 * every run: there is no path to `succeeded` that skips one.
 */
function evidenceFor(run, handles, extra = {}) {
    const composite = run.target?.composite === true;
    const many = handles.length > 1;
    const label = (h, text) => (many ? `run ${h.runId}: ${text}` : text);
    const combine = (proofs) => ({
        ok: proofs.length > 0 && proofs.every(([, p]) => p.ok),
        detail: proofs.length === 0 ? 'no run observed' : proofs.map(([h, p]) => label(h, p.detail)).join(' | '),
    });
    const obsOf = (h) => run.last.get(h.runId);
    const success = combine(handles.map((h) => {
        const obs = obsOf(h);
        if (!obs)
            return [h, { ok: false, detail: 'never observed' }];
        return [h, obs.state === 'succeeded' ? { ok: true, detail: `${obs.rawStatus} (a success word)` } : { ok: false, detail: `${obs.rawStatus || '(no status)'} is not a success word (${obs.state})` }];
    }));
    const end = combine(handles.map((h) => {
        const obs = obsOf(h);
        return [h, obs?.end ? { ok: true, detail: obs.end } : { ok: false, detail: 'no end seen on the platform' }];
    }));
    const evidence = { identity: extra.identity ?? identityProof(run), success, end };
    const required = ['identity', 'success', 'end'];
    if (composite) {
        evidence.members = combine(handles.map((h) => {
            const members = obsOf(h)?.members;
            return [h, members ?? { ok: false, detail: 'no member of this run was accounted for' }];
        }));
        required.push('members');
    }
    else {
        const reported = handles.map((h) => [h, obsOf(h)?.members]).filter((pair) => pair[1] !== undefined);
        if (reported.length > 0) {
            evidence.members = combine(reported.map(([h, p]) => [h, p]));
            required.push('members');
        }
    }
    if (extra.history) {
        evidence.history = extra.history;
        required.push('history');
    }
    return { evidence, missing: (0,outcome/* missingProofs */.TZ)(evidence, required) };
}
/** `missing proof: end (no end seen on the platform)`, naming each proof that does not hold. */
function missingLine(evidence, missing) {
    const parts = missing.map((name) => `${name} (${evidence[name]?.detail ?? 'not shown'})`);
    return `missing proof${parts.length > 1 ? 's' : ''}: ${parts.join('; ')}`;
}

;// CONCATENATED MODULE: ./lib/core/engine/failures.js

/** Failure details (and logs) of the runs that did not succeed, printed and annotated; a read error only warns. */
async function collectFailures(run, target, runs) {
    const { logs } = run.step.settings;
    const wanted = logs === 'always' ? run.handles : runs;
    if (wanted.length === 0)
        return [];
    const failed = [];
    run.phase = 'logs';
    for (const handle of wanted) {
        const observation = run.last.get(handle.runId);
        let tasks;
        try {
            tasks = await run.provider.failures(target, handle, observation, run.step.logFile, { fetchLogs: logs !== 'never' });
        }
        catch (error) {
            const reason = (0,core_text/* errorText */.kc)(error);
            run.step.logFile.note(`${run.label}: could not read the failure details of run ${handle.runId}: ${reason}`);
            run.step.host.warning(`${run.label}: could not read the failure details of run ${handle.runId}: ${reason}`);
            continue;
        }
        for (const task of tasks) {
            // With logs: always, a succeeded run's task logs are printed but are not failures.
            if (observation.state !== 'succeeded')
                failed.push(task);
            await printTask(run, task, observation.state !== 'succeeded', run.live?.printedFor(handle.runId) ?? 0);
        }
    }
    return failed;
}
/**
 * One task's failure details: its log excerpt in a group, or, when this run's lines were printed live, a
 * pointer to them and to the log file instead of the same lines again; error lines become annotations
 * either way (within the step's budget).
 */
async function printTask(run, task, failed, printedLive) {
    const host = run.step.host;
    const title = `${run.label} › ${task.name}${task.type ? ` (${task.type}${task.id ? ` ${task.id}` : ''})` : ''}: ${task.status}`;
    if (printedLive > 0 && task.logExcerpt.length > 0) {
        host.info(`${title} — its log lines were printed above as they came (logs: live); the whole log is in ${run.step.logFile.path}`);
    }
    else if (task.logExcerpt.length > 0) {
        await host.group(`${title} — last ${task.logExcerpt.length} log lines`, async () => {
            for (const line of task.logExcerpt)
                host.info(line);
        });
    }
    else {
        host.info(`${title}${task.logNote ? ` — ${task.logNote}` : ''}`);
    }
    if (!failed)
        return;
    if (task.errorLines.length === 0) {
        // The task's line above already says this: name, status and note.
        run.step.annotate(`${task.name} ended ${task.status}${task.logNote ? ` (${task.logNote})` : ''}`, `${run.label} › ${task.name}`, run.index, true);
        return;
    }
    for (const line of task.errorLines) {
        const shown = task.logExcerpt.some((printed) => printed.includes(line));
        run.step.annotate(line, `${run.label} › ${task.name}`, run.index, shown);
    }
}

;// CONCATENATED MODULE: ./lib/core/engine/hints.js
function hintFor(error, platform, access) {
    switch (error.status) {
        case 401:
            return 'The API key was rejected: it is missing, wrong or revoked, or the user behind it was deactivated. Create a new key and update the secret';
        case 403:
            return error.phase === 'trigger'
                ? `The key's user may read but not trigger: it needs ${access?.trigger ?? 'the right to trigger'}`
                : (access?.read ?? "The key's user has no read access to this target, or the platform's API is disabled for the organization");
        case 404:
            return `Not found: the target does not exist on ${platform}, or it is not visible to the key's user. Check the names and ids, and the user's access`;
        case 409:
            return 'The target is already running. Use if-running: attach to follow that run, or queue to wait for it';
        default:
            return undefined;
    }
}

;// CONCATENATED MODULE: ./lib/core/engine/modes.js
/**
 * The modes that trigger nothing: `wait` follows an existing run (given in run-id, or the one in flight), and
 * `check` passes only when the latest run succeeded, with every proof, and ended within max-age.
 */




/** Mode wait: follows the run given in run-id (one per target), or the run in flight, to its end. */
async function waitMode(run, target) {
    const { runId } = run.step.settings;
    let handle;
    run.phase = 'find';
    let identity;
    if (runId) {
        if (!run.provider.handleFor)
            throw new TargetFailure(`mode 'wait' with a run-id is not supported on ${run.spec.platform}`);
        // One handle per target, in target order (the run-id output of mode trigger): `id`, `adopted:id`, or
        // several runs of the target joined by `+` (all are followed; green only if every one succeeds).
        const given = (runId.split(',')[run.index] ?? '').trim();
        if (given === '')
            throw new TargetFailure(`run-id has no id for target ${run.index + 1} (give one id per target, comma-separated in target order)`);
        // `+` joins runs, except where it starts a UTC offset inside an id (an Airflow dag_run_id ends `+00:00`).
        const parts = given.split(/\+(?!\d{2}:?\d{2}(?![\w-]))/).map((p) => p.trim()).filter(Boolean);
        const followed = [];
        for (const part of parts) {
            const adopted = part.startsWith(ADOPTED_PREFIX);
            const id = adopted ? part.slice(ADOPTED_PREFIX.length) : part;
            const each = await run.provider.handleFor(target, id);
            // This step only follows the run (product spec: never cancel a run the step only followed), even when
            // an earlier trigger step of the same pipeline started it.
            run.adopt([each], adopted
                ? { detail: `run id given in run-id, marked by the trigger step as adopted after its trigger's answer was lost`, ours: false, adopted: true }
                : { detail: 'run id given in run-id', ours: false });
            if (adopted)
                run.notes.push(`run ${id} was adopted by the trigger step after its trigger's answer was lost, not started by it for certain`);
            followed.push(each);
        }
        run.info(`following run ${followed.map((h) => h.runId).join(', ')}; this step did not start it and will not cancel it`);
        return run.followAndReport(target);
    }
    else {
        const busy = await run.provider.inFlight(target);
        if (!busy)
            throw new TargetFailure('no run in flight to wait for (mode: wait without run-id); give run-id, or use mode: check');
        handle = busy.handle ?? (await run.waitForInFlightHandle(target));
        identity = { detail: 'the run in flight (mode: wait without run-id; not started by this step)', ours: false };
    }
    run.info(`following run ${handle.runId}${identity.ours ? '' : '; this step did not start it and will not cancel it'}`);
    run.adopt([handle], identity);
    return run.followAndReport(target);
}
/** Mode check: green only when the latest run succeeded with every proof, and recently enough (max-age). */
async function checkMode(run, target) {
    run.phase = 'check';
    if (!run.provider.latest)
        throw new TargetFailure(`mode 'check' is not supported on ${run.spec.platform}`);
    const latest = await run.provider.latest(target);
    if (!latest)
        return run.result({ status: 'failed', message: 'never ran: no run found for this target' });
    run.handles = [latest.handle];
    run.identities.set(latest.handle.runId, { detail: 'the latest run of the target by its history', ours: false });
    const obs = latest.observation;
    run.last.set(latest.handle.runId, obs);
    const { maxAgeMs } = run.step.settings;
    const history = latest.history ?? { ok: false, detail: 'the provider did not say how the history was read' };
    const { evidence, missing } = evidenceFor(run, [latest.handle], { history });
    if (!history.ok) {
        return run.result({ status: 'failed', observation: obs, evidence, message: `the latest run cannot be told: ${history.detail}` });
    }
    if (!(0,outcome/* isTerminal */.Hd)(obs.state)) {
        return run.result({ status: 'failed', observation: obs, evidence, message: `the latest run ${latest.handle.runId} is still ${describe(obs)}` });
    }
    if (obs.state !== 'succeeded') {
        const failedTasks = await collectFailures(run, target, [latest.handle]);
        return run.result({ status: 'failed', observation: obs, evidence, failedTasks, message: `the latest run ${latest.handle.runId} ${describe(obs)}` });
    }
    if (missing.length > 0) {
        return run.result({ status: 'failed', observation: obs, evidence, message: `the latest run ${latest.handle.runId} ended ${obs.rawStatus}, but it is not counted as green: ${missingLine(evidence, missing)}` });
    }
    if (maxAgeMs !== undefined) {
        if (latest.ageMs === undefined) {
            return run.result({ status: 'failed', observation: obs, evidence, message: `the latest run ${latest.handle.runId} succeeded, but its age cannot be told` });
        }
        if (latest.ageMs > maxAgeMs) {
            return run.result({
                status: 'failed',
                observation: obs,
                evidence,
                message: `too old: the latest run ${latest.handle.runId} succeeded ${formatMs(latest.ageMs)} ago (max-age ${formatMs(maxAgeMs)})` +
                    (latest.ageNote ? `; the age is ${latest.ageNote}` : ''),
            });
        }
    }
    return run.result({
        status: 'succeeded',
        observation: obs,
        evidence,
        message: `the latest run ${latest.handle.runId} succeeded` + (latest.ageMs !== undefined ? ` ${formatMs(latest.ageMs)} ago` : ''),
    });
}

;// CONCATENATED MODULE: ./lib/core/engine/target-run.js










/** The run the trigger caused showed up (not in the baseline). */
const runFound = { name: 'run found', state: 'success', matches: (result) => result.kind === 'found' };
/** The target has no run in flight. */
const targetIdle = { name: 'target idle', state: 'success', matches: (busy) => busy === undefined };
/** The run in flight can be identified (attach, mode wait). */
const inFlightIdentified = {
    name: 'run in flight identified',
    state: 'success',
    matches: (busy) => busy?.handle !== undefined,
};
/** This target's state: the step's engine parts (follow, evidence, modes, stop) read and update it. */
class TargetRun {
    step;
    spec;
    index;
    signal;
    phase = 'resolve';
    target;
    /** The runs followed; the first is the primary one (outputs, messages). */
    handles = [];
    /** The last observation of each run followed. */
    last = new Map();
    notes = [];
    provider;
    label;
    /** How each followed run is known to be ours or equivalent (the identity proof), and whether this step started it. */
    identities = new Map();
    /** Set when the trigger's answer was lost: what happened, for the messages and the identity proofs. */
    lostAnswer;
    /** The baseline taken before the (last) trigger: a stop before the run was found still looks for it. */
    baseline;
    /** Clock time just before this target's trigger was sent: the start of the run, for history-aware polling. */
    triggeredAt;
    /** With `logs: live`: the lines printed while following (follow.ts, live.ts). */
    live;
    constructor(step, spec, index, signal) {
        this.step = step;
        this.spec = spec;
        this.index = index;
        this.signal = signal;
        this.provider = step.provider;
        this.label = spec.label;
    }
    info(message) {
        this.step.host.info(`${this.label}: ${message}`);
    }
    async execute() {
        const { mode } = this.step.settings;
        this.phase = 'resolve';
        const target = await this.provider.resolve(this.spec);
        this.target = target;
        if (target.label !== this.label)
            this.info(`resolved to ${target.label}`);
        if (mode === 'wait')
            return waitMode(this, target);
        if (mode === 'check')
            return checkMode(this, target);
        const handle = await this.startRun(target);
        await this.announce(target);
        if (mode === 'trigger') {
            this.step.saveRun(this.index, handle.runId, true);
            const identity = identityProof(this);
            const adopted = this.identities.get(handle.runId)?.adopted === true;
            const message = adopted
                ? `the trigger's answer was lost; adopted run ${handle.runId} (${identity.detail}); not waiting (mode: trigger). ` +
                    `Its run-id handle says so (${ADOPTED_PREFIX}${handle.runId}), and mode: wait reports it as adopted`
                : `triggered run ${handle.runId}; not waiting (mode: trigger)`;
            return this.result({ status: 'triggered', message, evidence: { identity } });
        }
        return this.followAndReport(target);
    }
    /** Applies if-running, then triggers and finds the run this trigger caused. */
    async startRun(target) {
        const { ifRunning } = this.step.settings;
        for (;;) {
            this.phase = 'baseline';
            const busy = await this.provider.inFlight(target);
            if (busy) {
                if (ifRunning === 'fail') {
                    throw new TargetFailure(`already running (${busy.description}); if-running is 'fail'. Set if-running: attach to follow that run, or queue to wait for it and then trigger`);
                }
                if (ifRunning === 'attach') {
                    const handle = busy.handle ?? (await this.waitForInFlightHandle(target));
                    this.info(`already running: attaching to run ${handle.runId} (if-running: attach); this step did not start it and will not cancel it`);
                    this.adopt([handle], { detail: 'in flight when the step began; followed by if-running: attach (not started by this step)', ours: false });
                    return handle;
                }
                this.info(`already running (${busy.description}): waiting for it to end before triggering (if-running: queue)`);
                await this.waitUntilIdle(target);
            }
            this.phase = 'baseline';
            const baseline = await this.provider.baseline(target);
            this.phase = 'trigger';
            this.triggeredAt = this.step.clock.now();
            this.baseline = baseline;
            this.step.saveTrigger(this.index, baseline);
            const answer = await this.triggerSafely(target, baseline);
            if (answer.kind === 'already-running') {
                // Someone started it between our check and our trigger: apply if-running to that run.
                if (ifRunning === 'fail')
                    throw new TargetFailure(`${answer.message}; if-running is 'fail'`);
                if (ifRunning === 'attach') {
                    const handle = answer.handle ?? (await this.waitForInFlightHandle(target));
                    this.info(`already running: attaching to run ${handle.runId} (if-running: attach); this step did not start it and will not cancel it`);
                    this.adopt([handle], { detail: 'the trigger answered "already running"; followed by if-running: attach (not started by this step)', ours: false });
                    return handle;
                }
                // queue: wait for it, then trigger again (a pause first, in case the platform does not show it in flight)
                await this.sleep(this.step.settings.pollIntervalMs);
                continue;
            }
            if (answer.note)
                this.info(answer.note);
            if (answer.handle) {
                if (!this.identities.has(answer.handle.runId)) {
                    this.info(`triggered: run ${answer.handle.runId}`);
                    this.adopt([answer.handle], { detail: 'the run id the trigger answered', ours: true });
                }
                return answer.handle;
            }
            this.info('trigger accepted; looking for the run it started');
            const found = await this.findTriggeredRun(target, baseline);
            return found;
        }
    }
    /**
     * Sends the trigger. When the answer is lost (reset, timeout, 5xx), it first looks for the run the lost
     * attempt may have started (no platform documents idempotency for what we send), and sends again only when
     * none appeared, the target is idle and a last look still finds nothing: a second, accidental load is the
     * thing we must never cause.
     */
    async triggerSafely(target, baseline) {
        try {
            return await this.provider.trigger(target);
        }
        catch (error) {
            // Stopped (cancel, timeout) while the trigger was in flight: resultFromError looks for its run.
            if (this.signal.aborted || !(error instanceof core_http/* ApiError */.hD) || !error.mayHaveApplied)
                throw error;
            const window = Math.min(this.step.options.confirmWindowMs ?? 30_000, this.timeLeft());
            this.lostAnswer = error.message;
            const rule = this.provider.adoption === 'own-marker'
                ? "only a run carrying this step's idempotency key or metadata is taken as its own"
                : 'a run of this target and environment that started after the baseline is an equivalent load';
            this.phase = 'trigger';
            this.info(`the trigger's answer was lost (${error.message}); looking for the run it may have started before sending anything again (${rule})`);
            const found = await this.lookForRun(target, baseline, window);
            if (found)
                return this.adoptAfterLostAnswer(found, error.message, '');
            const busy = await this.provider.inFlight(target);
            if (busy) {
                // Not sent again: the target is busy, most likely with our own trigger. The find below must still
                // show a run that started after the baseline before anything is followed.
                return { kind: 'accepted', note: `the target is busy (${busy.description}): the lost trigger most likely landed; not sending it again` };
            }
            // A last look right before any resend: a look may have been slow (a 429, a retried page) while the run
            // appeared, and the target may be idle because that run has already ended.
            const late = await this.lookOnce(target, baseline);
            if (late)
                return this.adoptAfterLostAnswer(late, error.message, ' It had already ended when it was found.');
            this.info('no run appeared and the target is idle: sending the trigger again (resend 1 of 1)');
            this.notes.push(`the trigger's answer was lost (${error.message}); no run appeared and the target was idle, so the trigger was sent once more`);
            this.phase = 'trigger';
            const again = await this.provider.trigger(target);
            if (again.kind === 'already-running') {
                return { kind: 'accepted', note: 'the second trigger answered "already running": the first one most likely landed; not sending again' };
            }
            return again;
        }
    }
    /**
     * Follows the run(s) a look found after the trigger's answer was lost, and says so in the log and the notes.
     * Equivalent loads (TimeXtender, Qarion) may be someone else's, so they are never cancelled; a run carrying
     * our own marker (Planasonix) is ours.
     */
    adoptAfterLostAnswer(found, lost, remark) {
        const all = [found.handle, ...(found.others ?? [])];
        const how = found.identity ?? 'started after the baseline taken just before the trigger';
        this.adopt(all, { detail: `adopted after the trigger's answer was lost (${lost}): ${how}`, ours: this.provider.adoption === 'own-marker', adopted: true });
        const note = `the trigger's answer was lost; adopted run${all.length > 1 ? 's' : ''} ${all.map((h) => h.runId).join(', ')} (${how}). ` +
            (all.length > 1 ? 'All are followed; the step passes only if every one succeeds.' : 'Its outcome decides the step.') +
            remark;
        this.notes.push(note);
        return { kind: 'accepted', handle: found.handle, note };
    }
    /** One look for the run of a lost trigger; undefined when nothing is found. */
    async lookOnce(target, baseline) {
        this.phase = 'find';
        const result = await this.provider.find(target, baseline);
        return result.kind === 'found' ? result : undefined;
    }
    /** Looks for the run of a lost trigger for up to `windowMs`; undefined when nothing appeared. */
    async lookForRun(target, baseline, windowMs) {
        this.phase = 'find';
        const until = this.step.clock.now() + windowMs;
        const schedule = new PollSchedule({ maxDelayMs: this.step.settings.pollIntervalMs, firstDelayMs: 500 });
        const confirmWindowClosed = { name: 'confirm window closed', state: 'failure', matches: (_r, now) => now >= until };
        const result = await this.waitFor({
            read: () => this.provider.find(target, baseline),
            accept: [runFound, confirmWindowClosed],
            schedule: () => schedule.next(),
            windowEnd: until,
        });
        return result.state === 'success' && result.observation.kind === 'found' ? result.observation : undefined;
    }
    async findTriggeredRun(target, baseline) {
        this.phase = 'find';
        const windowMs = Math.min(this.step.options.startWindowMs ?? 5 * 60_000, this.timeLeft());
        const windowEnd = this.step.clock.now() + windowMs;
        const schedule = new PollSchedule({ maxDelayMs: this.step.settings.pollIntervalMs, firstDelayMs: 500 });
        // A trigger the platform shows as taken (queued) may wait past the start window: the timeout bounds it.
        const startWindowClosed = {
            name: 'start window closed',
            state: 'failure',
            matches: (result, now) => result.kind === 'pending' && now >= windowEnd && !result.accepted,
        };
        const waited = await this.waitFor({
            read: () => this.provider.find(target, baseline),
            accept: [runFound, startWindowClosed],
            schedule: () => schedule.next(),
        });
        const result = waited.observation;
        if (result.kind === 'pending') {
            throw new TargetFailure(`${this.lostAnswer ? "the trigger was sent (its answer was lost)" : 'the trigger was accepted'}, but no new run appeared within ${formatMs(windowMs)}` +
                (result.reason ? ` (${result.reason})` : ''));
        }
        const all = [result.handle, ...(result.others ?? [])];
        const how = result.identity ?? 'a new run: not in the baseline taken just before the trigger';
        const adopted = this.lostAnswer !== undefined;
        if (all.length > 1) {
            const ids = all.map((h) => h.runId).join(', ');
            const note = `${all.length} new runs started after the trigger (${ids}): another user or a schedule ran it too. All are followed; the step passes only if every one succeeds.`;
            this.notes.push(note);
            this.step.host.warning(`${this.label}: ${note}`);
        }
        if (adopted) {
            const note = `the trigger's answer was lost (${this.lostAnswer}); adopted run ${all.map((h) => h.runId).join(', ')} (${how})`;
            this.notes.push(note);
            this.info(note);
        }
        else {
            this.info(`found run ${result.handle.runId}`);
        }
        // Two new runs: either may be someone else's, so neither is cancelled on our behalf.
        const ours = all.length === 1 && (!adopted || this.provider.adoption === 'own-marker');
        this.adopt(all, {
            detail: adopted ? `adopted after the trigger's answer was lost (${this.lostAnswer}): ${how}` : how,
            ours,
            adopted,
        });
        return result.handle;
    }
    async waitForInFlightHandle(target) {
        const inFlightEnded = { name: 'run in flight ended', state: 'failure', matches: (busy) => busy === undefined };
        const schedule = new PollSchedule({ maxDelayMs: this.step.settings.pollIntervalMs });
        const result = await this.waitFor({
            read: () => this.provider.inFlight(target),
            accept: [inFlightIdentified, inFlightEnded],
            schedule: () => schedule.next(),
        });
        if (result.state === 'failure' || !result.observation?.handle) {
            throw new TargetFailure('the run in flight ended before it could be identified; nothing to attach to');
        }
        return result.observation.handle;
    }
    async waitUntilIdle(target) {
        const schedule = new PollSchedule({ maxDelayMs: this.step.settings.pollIntervalMs });
        await this.waitFor({ read: () => this.provider.inFlight(target), accept: [targetIdle], schedule: () => schedule.next() });
    }
    /**
     * Waits on the step's clock, bounded by its deadline and this target's signal: a success or failure comes
     * back as the acceptor's verdict; reaching the deadline stops the target as timed out, and the signal stops
     * it with its reason (cancelled, fail-fast). `clock` replaces the step's for the sleeps (one that a batched
     * sweep can cut short, engine/follow.ts).
     */
    async waitFor(options) {
        const result = await waitFor({ ...options, clock: options.clock ?? this.step.clock, deadline: this.step.deadline, signal: this.signal });
        if (result.state === 'timeout')
            throw new StopSignal('timed-out', `timed out after ${formatMs(this.step.settings.timeoutMs)}`);
        if (result.state === 'aborted')
            throw result.reason;
        return result;
    }
    /**
     * Follows these runs from now on, recording how each is known to be ours or equivalent. Only runs this
     * step started (`ours`) are ever cancelled, here or by the post step.
     */
    adopt(handles, identity) {
        for (const handle of handles) {
            if (!this.handles.some((h) => h.runId === handle.runId))
                this.handles.push(handle);
            if (!this.identities.has(handle.runId))
                this.identities.set(handle.runId, identity);
        }
        const primary = this.handles[0];
        this.step.saveRun(this.index, primary.runId, this.identities.get(primary.runId)?.ours !== true);
    }
    /** Lets the provider mark the run as ours (e.g. a comment with the CI run link); only warns on failure. */
    async announce(target) {
        const handle = this.handles[0];
        if (!handle || !this.provider.announce)
            return;
        try {
            await this.provider.announce(target, handle);
        }
        catch (error) {
            this.step.host.warning(`${this.label}: could not annotate run ${handle.runId} on ${this.spec.platform}: ${(0,core_text/* errorText */.kc)(error)}`);
        }
    }
    /** Follows every adopted run until all have ended, then fetches failure details. */
    async followAndReport(target) {
        this.phase = 'follow';
        await followRuns(this, target);
        const primary = this.handles[0];
        const observation = this.last.get(primary.runId);
        this.step.saveRun(this.index, primary.runId, true);
        const failedRuns = this.handles.filter((h) => this.last.get(h.runId).state !== 'succeeded');
        const { evidence, missing } = evidenceFor(this, this.handles);
        let status = failedRuns.length === 0 ? 'succeeded' : stepStatusOf(this.last.get(failedRuns[0].runId).state);
        // Logs of runs that ended with a success word but lack another proof are worth showing too.
        const failedTasks = await collectFailures(this, target, failedRuns.length > 0 || missing.length === 0 ? failedRuns : this.handles);
        let message;
        if (status === 'succeeded' && missing.length > 0) {
            status = 'failed';
            message = `run ${primary.runId} ended ${observation.rawStatus}, but it is not counted as green: ${missingLine(evidence, missing)}`;
        }
        else if (status !== 'succeeded') {
            const run = failedRuns[0];
            const obs = this.last.get(run.runId);
            message = `run ${run.runId} ended ${obs.rawStatus || 'without a status'} (${obs.state})`;
            if (failedTasks.length > 0)
                message += `; failed: ${failedTasks.map((t) => t.name).slice(0, 5).join(', ')}`;
            if (evidence.members && !evidence.members.ok)
                message += `; members: ${evidence.members.detail}`;
        }
        else if (this.lostAnswer) {
            message = `run ${primary.runId} succeeded; the trigger's answer was lost and this run was adopted (${evidence.identity.detail})`;
        }
        return this.result({ status, message, failedTasks, observation, evidence });
    }
    result(parts) {
        const primary = this.handles[0];
        const obs = parts.observation ?? (primary ? this.last.get(primary.runId) : undefined);
        const result = {
            target: this.target?.label ?? this.label,
            platform: this.spec.platform,
            runId: this.handles.map((h) => (this.identities.get(h.runId)?.adopted ? ADOPTED_PREFIX : '') + h.runId).join('+') || undefined,
            status: parts.status,
            rawStatus: obs?.rawStatus,
            startedAt: obs?.startedAt,
            finishedAt: obs?.finishedAt,
            durationSeconds: obs?.durationSeconds,
            timeNote: this.provider.timeNote,
            failedTasks: parts.failedTasks ?? [],
            message: parts.message,
            cancel: parts.cancel,
            notes: this.notes.length > 0 ? this.notes : undefined,
            evidence: parts.evidence ?? (this.handles.length > 0 ? { identity: identityProof(this) } : undefined),
        };
        if (result.evidence === undefined)
            delete result.evidence;
        if (result.runId === undefined)
            delete result.runId;
        return result;
    }
    /** One line naming the phase and the cause, with what to do for the usual HTTP answers. */
    explain(error) {
        if (error instanceof TargetFailure)
            return error.message;
        if (error instanceof core_http/* ApiError */.hD) {
            const hint = hintFor(error, this.spec.platform, this.step.accessHints);
            return `${error.message}${hint ? `. ${hint}` : ''}`;
        }
        return `${this.phase}: ${(0,core_text/* errorText */.kc)(error)}`;
    }
    timeLeft() {
        return Math.max(0, this.step.deadline - this.step.clock.now());
    }
    /** Sleeps on the injected clock; a sleep that reaches the step's deadline ends in a timeout on that clock. */
    async sleep(ms) {
        const left = this.step.deadline - this.step.clock.now();
        if (ms < left)
            return this.step.clock.sleep(ms, this.signal);
        await this.step.clock.sleep(Math.max(0, left), this.signal);
        throw new StopSignal('timed-out', `timed out after ${formatMs(this.step.settings.timeoutMs)}`);
    }
}

;// CONCATENATED MODULE: ./lib/core/engine/step.js
/**
 * The step: its targets (at most `max-concurrency` at once, fail-fast), the one HTTP client and provider they
 * share, the saved state for the post step, the annotation budget, and the outputs, summary and reports when
 * it ends. One target's life is target-run.ts.
 */















/**
 * The runner keeps at most 10 error annotations per step (and the Azure agent caps its issue list too); the
 * front end raises one more for the step's failure message, so the log lines of failed tasks share the rest.
 */
const MAX_ANNOTATIONS = 10;
const LOG_LINE_ANNOTATIONS = MAX_ANNOTATIONS - 1;
async function runStep(settings, host, options) {
    host.setSecret(settings.apiKey);
    const step = new Step(settings, host, options);
    try {
        return await step.run();
    }
    finally {
        await step.close();
    }
}
class Step {
    settings;
    host;
    options;
    clock;
    /** Clock time at which the step times out. */
    deadline;
    /** Clock time at which the step began. */
    startedAt;
    logFile;
    http;
    loaded;
    /** What a refused key needs, from the platform module. */
    accessHints;
    annotations = 0;
    annotationsByTarget = new Map();
    savedRuns = new Map();
    reads;
    /** Fires at the deadline or on CI cancellation; every wait and request listens to it. */
    stepAbort = new AbortController();
    deadlineTimer;
    /** The host's CI context plus this invocation's id (saved for the post step). */
    ciContext;
    /** Things said once per step, whatever the number of targets. */
    said = new Set();
    constructor(settings, host, options) {
        this.settings = settings;
        this.host = host;
        this.options = options;
        this.clock = options.clock ?? core_clock/* systemClock */.m;
        this.startedAt = this.clock.now();
        const invocation = host.ciContext.invocation ?? (0,external_node_crypto_.randomBytes)(8).toString('hex');
        host.saveState(saved_runs/* STATE_INVOCATION */.L9, invocation);
        this.ciContext = { ...host.ciContext, invocation };
        this.deadline = this.startedAt + settings.timeoutMs;
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        this.logFile = new logs/* LogFile */.$((0,external_node_path_.join)(host.tempDir, `orchestration-run-${stamp}-${(0,external_node_crypto_.randomBytes)(3).toString('hex')}.log`), settings.logLines, [settings.apiKey]);
        const onHostAbort = () => this.stepAbort.abort(new StopSignal('cancelled', 'the CI job was cancelled'));
        if (host.signal.aborted)
            onHostAbort();
        else
            host.signal.addEventListener('abort', onHostAbort, { once: true });
        this.deadlineTimer = setTimeout(() => this.stepAbort.abort(new StopSignal('timed-out', `timed out after ${formatMs(settings.timeoutMs)}`)), settings.timeoutMs);
        this.deadlineTimer.unref?.();
    }
    async close() {
        clearTimeout(this.deadlineTimer);
        this.logFile.close();
        await this.http?.close();
        await this.loaded?.close?.();
    }
    async run() {
        try {
            await this.loadProvider();
        }
        catch (error) {
            // No target can start; every one is reported failed, and the summary and outputs are still written.
            const message = `could not start the ${this.settings.platform} provider: ${(0,core_text/* errorText */.kc)(error)}`;
            this.host.debug(error instanceof Error && error.stack ? error.stack : String(error));
            return this.finish(this.settings.targets.map((spec) => ({ target: spec.label, platform: spec.platform, status: 'failed', failedTasks: [], message })));
        }
        this.host.info(`orchestration-run: ${this.settings.platform}, mode ${this.settings.mode}, ${this.settings.targets.length} target(s), timeout ${formatMs(this.settings.timeoutMs)}`);
        const results = await this.runAll();
        return this.finish(results);
    }
    async loadProvider() {
        const { settings, host } = this;
        const module = await this.options.loadProvider(settings.platform);
        this.accessHints = module.accessHints;
        // One client (one keep-alive pool) for every target of the step; the key goes to the API origin only.
        // One request budget for the step's key, every target and every phase (http/budget.ts).
        this.http = new core_http/* HttpClient */.Qq({
            budget: new core_http/* RequestBudget */.bK(this.clock, module.requestLimit),
            baseUrl: settings.baseUrl,
            headers: module.authHeaders(settings.apiKey),
            proxy: host.proxy,
            deadline: () => this.deadline,
            clock: this.clock,
            secrets: [settings.apiKey],
            log: (m) => host.debug(m),
            notice: (m) => host.info(m),
            ...this.options.http,
        });
        this.loaded = module.create({
            http: this.http,
            settings,
            ciContext: this.ciContext,
            clock: this.clock,
            signal: this.stepAbort.signal,
            log: { info: (m) => host.info(m), warn: (m) => host.warning(m), debug: (m) => host.debug(m) },
            ...(this.options.settleMs !== undefined && { settleMs: this.options.settleMs }),
        });
        const batching = (this.options.polling?.batch ?? true) && !!this.loaded.observeMany && settings.targets.length > 1 && settings.maxConcurrency > 1;
        this.reads = new FollowReads(this.loaded, this.clock, settings.pollIntervalMs, this.stepAbort.signal, batching);
    }
    /** Runs every target, at most `max-concurrency` at once; with fail-fast, one failure stops the rest. */
    async runAll() {
        const { settings } = this;
        const specs = settings.targets;
        const results = new Array(specs.length);
        const controllers = specs.map(() => new AbortController());
        let failFastBy;
        let next = 0;
        const worker = async () => {
            for (;;) {
                const index = next++;
                if (index >= specs.length)
                    return;
                const spec = specs[index];
                if (failFastBy !== undefined) {
                    results[index] = this.notStarted(spec, `not started: ${failFastBy} did not succeed (fail-fast)`);
                    continue;
                }
                const signal = AbortSignal.any([this.stepAbort.signal, controllers[index].signal]);
                const result = await this.runTarget(spec, index, signal);
                results[index] = result;
                // Checks are a few reads each: every target's verdict is worth more than stopping early.
                const failFast = settings.failFast && settings.mode !== 'check';
                if (failFast && !isGreen(result) && failFastBy === undefined && specs.length > 1) {
                    failFastBy = spec.label;
                    controllers.forEach((c, i) => {
                        if (i !== index)
                            c.abort(new StopSignal('cancelled', `stopped: ${spec.label} did not succeed (fail-fast)`));
                    });
                }
            }
        };
        const workers = Array.from({ length: Math.min(settings.maxConcurrency, specs.length) }, worker);
        await Promise.all(workers);
        return results;
    }
    notStarted(spec, message) {
        return { target: spec.label, platform: spec.platform, status: 'cancelled', failedTasks: [], message };
    }
    /** One target from start to end; never throws. */
    async runTarget(spec, index, signal) {
        const run = new TargetRun(this, spec, index, signal);
        try {
            return await core_http/* requestScope */.cG.run({ signal }, () => run.execute());
        }
        catch (error) {
            // Cancelling the remote run must not be stopped by the signal that ended the following.
            const budget = AbortSignal.timeout(this.options.cancelBudgetMs ?? 15_000);
            return core_http/* requestScope */.cG.run({ signal: budget }, () => resultFromError(run, error));
        }
    }
    // --- what the targets share ------------------------------------------------------------------
    get provider() {
        if (!this.loaded)
            throw new Error('provider not loaded');
        return this.loaded;
    }
    /** Status reads while following, shared by the step's targets. */
    get followReads() {
        if (!this.reads)
            throw new Error('provider not loaded');
        return this.reads;
    }
    /** True the first time it is called with this key in the step. */
    once(key) {
        if (this.said.has(key))
            return false;
        this.said.add(key);
        return true;
    }
    saveRun(index, runId, done, cancel) {
        this.savedRuns.set(index, { index, runId, done, ...(cancel ? { cancel } : {}) });
        this.host.saveState(saved_runs/* STATE_RUNS */.hW, JSON.stringify([...this.savedRuns.values()]));
    }
    /** Saved just before a trigger is sent, so a stop while it is in flight can still find the run it started. */
    saveTrigger(index, baseline) {
        let encoded;
        try {
            encoded = (0,saved_runs/* encodeBaseline */.mQ)(baseline);
        }
        catch {
            return;
        }
        this.savedRuns.set(index, { index, done: false, trigger: { sentAt: new Date(this.clock.now()).toISOString(), baseline: encoded } });
        this.host.saveState(saved_runs/* STATE_RUNS */.hW, JSON.stringify([...this.savedRuns.values()]));
    }
    /**
     * An error line as an annotation while the step's budget lasts: every target gets an equal share of the
     * log-line budget (at least one), so one target's many errors cannot crowd out another's; past its share or
     * the budget, the line is a plain error line in the log. The failure message always has its own slot.
     * `shownInLog`: the line is already in the printed log (its task's excerpt or failure line).
     */
    annotate(message, title, index, shownInLog = false) {
        // A host without annotations (the CLI) would only print the line a second time.
        if (shownInLog && this.host.raisesAnnotations === false)
            return;
        const share = Math.max(1, Math.floor(LOG_LINE_ANNOTATIONS / Math.max(1, this.settings.targets.length)));
        const used = this.annotationsByTarget.get(index) ?? 0;
        if (this.annotations < LOG_LINE_ANNOTATIONS && used < share) {
            this.annotations++;
            this.annotationsByTarget.set(index, used + 1);
            this.host.error(message, { title });
        }
        else {
            this.host.error(message);
        }
    }
    async finish(unmasked) {
        const { settings, host } = this;
        // Server text may echo the key: mask it in the results before any rendering (escaping would split it).
        const results = maskResults(unmasked, (0,untrusted/* secretMasker */.c8)([settings.apiKey]));
        const status = (0,outcome/* overallStatus */.gX)(results);
        for (const line of renderTextSummary(results))
            host.info(line);
        const joined = (pick) => results.map((r) => (pick(r) === undefined ? '' : String(pick(r)))).join(',');
        const logFile = this.logFile.path;
        for (const r of results)
            if (r.failedTasks.length > 0 || r.logFile)
                r.logFile = logFile;
        const reportContext = {
            platform: settings.platform,
            mode: settings.mode,
            ciContext: host.ciContext,
            logFile,
        };
        const summaryMarkdown = renderSummaryMarkdown(results, reportContext);
        host.setOutput('status', status);
        host.setOutput('run-id', joined((r) => r.runId));
        host.setOutput('raw-status', joined((r) => r.rawStatus));
        host.setOutput('started-at', joined((r) => r.startedAt));
        host.setOutput('finished-at', joined((r) => r.finishedAt));
        host.setOutput('duration-seconds', joined((r) => r.durationSeconds));
        host.setOutput('result', cappedResultJson(results));
        // The full result, never capped, beside the log file.
        const resultFile = logFile.replace(/\.log$/, '') + '.result.json';
        try {
            const { writeFile } = await Promise.resolve(/* import() */).then(__webpack_require__.t.bind(__webpack_require__, 1455, 19));
            await writeFile(resultFile, resultJson(results) + '\n');
            host.setOutput('result-file', resultFile);
        }
        catch (error) {
            host.warning(`could not write the result file ${resultFile}: ${(0,core_text/* errorText */.kc)(error)}`);
            host.setOutput('result-file', '');
        }
        host.setOutput('log-file', logFile);
        try {
            await host.writeSummary(summaryMarkdown);
        }
        catch (error) {
            host.warning(`could not write the summary: ${(0,core_text/* errorText */.kc)(error)}`);
        }
        if (settings.junitFile) {
            try {
                const { writeFile } = await Promise.resolve(/* import() */).then(__webpack_require__.t.bind(__webpack_require__, 1455, 19));
                await writeFile(settings.junitFile, renderJUnit(results, reportContext));
                host.info(`JUnit results written to ${settings.junitFile}`);
            }
            catch (error) {
                host.warning(`could not write the JUnit file ${settings.junitFile}: ${(0,core_text/* errorText */.kc)(error)}`);
            }
        }
        const failing = results.filter((r) => !isGreen(r));
        const failingTargetsLine = failing.length === 0
            ? undefined
            : `${failing.length} of ${results.length} ${results.length === 1 ? 'target' : 'targets'} did not succeed: ` +
                failing.map((r) => `${r.target} (${r.status})`).join(', ');
        const failureLine = failing.length === 1 ? `${failing[0].target}: ${failing[0].message ?? failing[0].status}` : failingTargetsLine;
        return { status, exitCode: (0,outcome/* exitCodeFor */.Rr)(status), results, summaryMarkdown, logFile, failureLine, failingTargetsLine };
    }
}
/** Every string of the results through `mask` (names, messages, log excerpts may all hold server text). */
function maskResults(results, mask) {
    const walk = (value) => {
        if (typeof value === 'string')
            return mask(value);
        if (Array.isArray(value))
            return value.map(walk);
        if (value && typeof value === 'object')
            return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
        return value;
    };
    return results.map((r) => walk(r));
}
function isGreen(result) {
    return result.status === 'succeeded' || result.status === 'triggered' || result.status === 'running';
}

;// CONCATENATED MODULE: ./lib/core/engine/post.js
/**
 * The post step's settling (GitHub runs it after the main step, even when that one was killed): cancels the
 * main step did not see confirmed, and the runs of triggers that were in flight when it stopped.
 */








const post_runEnded = { name: 'run ended', state: 'success', matches: (observation) => (0,outcome/* isTerminal */.Hd)(observation.state) };
const post_runFound = { name: 'run found', state: 'success', matches: (result) => result.kind === 'found' };
/**
 * The GitHub post step: settles what the main step left unsettled (it was killed before it could), from the
 * state it saved: retries cancels the platform had not confirmed and reports the run's final state; looks for
 * the run of a trigger that was in flight and cancels it where the platform can prove it is ours. Does nothing
 * when the main step ended normally. Resolves to the number of cancels the platform accepted.
 */
async function cancelSavedRuns(settings, host, options) {
    const saved = (0,saved_runs/* pendingSavedRuns */.pY)(host.getState(saved_runs/* STATE_RUNS */.hW));
    if (saved.length === 0)
        return 0;
    host.setSecret(settings.apiKey);
    const clock = options.clock ?? core_clock/* systemClock */.m;
    const module = await options.loadProvider(settings.platform);
    const http = new core_http/* HttpClient */.Qq({
        // The platform's documented limit too: the post step may run while other jobs spend the same key.
        budget: new core_http/* RequestBudget */.bK(clock, module.requestLimit),
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
    const invocation = host.getState(saved_runs/* STATE_INVOCATION */.L9) || host.ciContext.invocation;
    const provider = module.create({
        http,
        settings,
        ciContext: invocation ? { ...host.ciContext, invocation } : host.ciContext,
        clock,
        signal: host.signal,
        log: { info: (m) => host.info(m), warn: (m) => host.warning(m), debug: (m) => host.debug(m) },
    });
    let cancelled = 0;
    const schedule = () => new PollSchedule({ maxDelayMs: 2000, firstDelayMs: 300 });
    /** Waits on the host's signal, reading once more when the window closes; a cancellation ends it with its reason. */
    const wait = async (read, accept, windowMs) => {
        const until = clock.now() + windowMs;
        const windowClosed = { name: 'window closed', state: 'failure', matches: (_o, now) => now >= until };
        const gaps = schedule();
        const result = await waitFor({ read, accept: [accept, windowClosed], schedule: () => gaps.next(), windowEnd: until, signal: host.signal, clock });
        if (result.state === 'aborted')
            throw result.reason;
        if (result.state === 'timeout')
            throw new Error('internal: a wait without a deadline timed out');
        return result;
    };
    /** Reads the run until it ends or the window closes; one line for the report. */
    const finalState = async (target, handle) => {
        const result = await wait(() => provider.observe(target, handle), post_runEnded, options.settleWindowMs ?? 15_000);
        const last = result.observation;
        return result.state === 'success' ? `run ${handle.runId} ended ${describe(last)}` : `run ${handle.runId} is still ${describe(last)}; it may keep going on the server`;
    };
    try {
        for (const run of saved) {
            const spec = settings.targets[run.index];
            if (!spec)
                continue;
            try {
                const target = await provider.resolve(spec);
                let handle;
                let ours = true;
                if (run.runId !== undefined) {
                    if (!provider.handleFor)
                        throw new Error(`${settings.platform} cannot read run ${run.runId} by its id`);
                    handle = await provider.handleFor(target, run.runId);
                }
                else if (run.trigger) {
                    // The main step was stopped while its trigger was in flight: look for the run it may have started.
                    const baseline = (0,saved_runs/* decodeBaseline */.Y9)(run.trigger.baseline);
                    const looked = await wait(() => provider.find(target, baseline), post_runFound, options.findWindowMs ?? 20_000);
                    const found = looked.observation;
                    if (found.kind === 'found') {
                        handle = found.handle;
                        // Only a run that carries our own marker is proven ours; an equivalent run may be someone else's.
                        ours = provider.adoption === 'own-marker' && !found.others?.length;
                        host.info(`${spec.label}: the main step was stopped while its trigger (sent ${run.trigger.sentAt}) was in flight; found run ${handle.runId}` +
                            (found.identity ? ` (${found.identity})` : ''));
                    }
                    if (!handle) {
                        host.warning(`${spec.label}: the main step was stopped while its trigger (sent ${run.trigger.sentAt}) was in flight, and no run it started was found; check ${settings.platform} for a run that started then`);
                        continue;
                    }
                }
                if (!handle)
                    continue;
                const found = handle;
                const stateLine = () => finalState(target, found).catch((e) => `the state of run ${found.runId} could not be read: ${(0,core_text/* errorText */.kc)(e)}`);
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
                if (report.accepted)
                    cancelled++;
                host.info(`${spec.label}: ${await stateLine()}`);
            }
            catch (error) {
                host.warning(`${spec.label}: could not settle ${run.runId !== undefined ? `run ${run.runId}` : 'the trigger in flight'}: ${(0,core_text/* errorText */.kc)(error)}`);
            }
        }
    }
    finally {
        await http.close();
    }
    return cancelled;
}

;// CONCATENATED MODULE: ./lib/core/engine/index.js
/**
 * The engine: targets → resolve → (in-flight check) → baseline → trigger → find the triggered run → follow
 * → logs → results. Platform-neutral: it drives a Provider and talks to the CI system only through a Host.
 *
 * step.ts (the step and its targets), target-run.ts (one target's life), follow.ts (status reads and failure
 * details), evidence.ts (what makes a verdict green), modes.ts (wait, check), stop.ts (timeout, cancel,
 * fail-fast), hints.ts (what to do about an HTTP error), post.ts (the GitHub post step's settling).
 */






/***/ }),

/***/ 6416:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  hD: () => (/* reexport */ ApiError),
  Qq: () => (/* reexport */ HttpClient),
  bK: () => (/* reexport */ RequestBudget),
  cG: () => (/* reexport */ requestScope)
});

// UNUSED EXPORTS: REQUEST_BURST, assertAllowedUrl, isLoopbackHost, parseRetryAfter

// EXTERNAL MODULE: external "node:async_hooks"
var external_node_async_hooks_ = __webpack_require__(6698);
// EXTERNAL MODULE: ./node_modules/undici/index.js
var undici = __webpack_require__(6752);
// EXTERNAL MODULE: ./lib/core/clock.js
var clock = __webpack_require__(1601);
// EXTERNAL MODULE: ./lib/core/urls.js
var urls = __webpack_require__(1705);
// EXTERNAL MODULE: ./lib/core/text.js
var core_text = __webpack_require__(9716);
// EXTERNAL MODULE: external "node:http"
var external_node_http_ = __webpack_require__(7067);
;// CONCATENATED MODULE: ./lib/core/http/problem.js
/**
 * What an error body says, whatever its shape: RFC 9457 problem details, FastAPI validation lists, ASP.NET
 * `errors`, `{error: {code, message}}`, a bare string, an HTML page from a proxy, or plain text.
 */

const HTML_PAGE = 'an HTML page (probably from a proxy or gateway)';
function looksLikeHtml(contentType, text) {
    return contentType === 'text/html' || contentType === 'application/xhtml+xml' || /^\s*</.test(text);
}
function htmlTitle(text) {
    const match = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text);
    if (!match)
        return undefined;
    const title = match[1]
        .replace(/<[^>]*>/g, '')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&#0*39;|&apos;/g, "'")
        .replace(/&nbsp;/g, ' ')
        .replace(/&amp;/g, '&')
        .trim();
    return title || undefined;
}
function asText(value) {
    if (typeof value === 'string')
        return value.trim() ? value : undefined;
    if (typeof value === 'number' && Number.isFinite(value))
        return String(value);
    return undefined;
}
function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
/** FastAPI validation items: `{"loc": ["body", "name"], "msg": "field required"}` → "body.name: field required". */
function validationItems(items) {
    const out = [];
    for (const item of items) {
        if (isObject(item)) {
            const loc = Array.isArray(item.loc) ? item.loc.map((part) => String(part)).join('.') : undefined;
            const msg = asText(item.msg) ?? asText(item.message) ?? asText(item.type);
            if (msg)
                out.push(loc ? `${loc}: ${msg}` : msg);
        }
        else {
            const text = asText(item);
            if (text)
                out.push(text);
        }
    }
    return out;
}
/** RFC 9110 `errors: {field: [messages]}` (ASP.NET validation), or a plain list. */
function fieldErrors(errors) {
    let out = [];
    if (Array.isArray(errors))
        out = validationItems(errors);
    else if (isObject(errors)) {
        for (const [field, messages] of Object.entries(errors)) {
            const list = Array.isArray(messages) ? validationItems(messages) : validationItems([messages]);
            if (list.length)
                out.push(`${field}: ${list.join(', ')}`);
        }
    }
    return out.length ? out.slice(0, 20) : undefined;
}
function problemFromJson(value) {
    if (typeof value === 'string')
        return value.trim() ? { detail: value } : undefined;
    if (!isObject(value))
        return undefined;
    const problem = {};
    const error = value.error;
    const title = asText(value.title);
    const type = asText(value.type);
    const traceId = asText(value.traceId) ?? asText(value.trace_id) ?? asText(value.traceid);
    const code = asText(value.code) ?? (isObject(error) ? asText(error.code) : undefined);
    let detail;
    if (Array.isArray(value.detail)) {
        const items = validationItems(value.detail);
        if (items.length)
            detail = items.join('; ');
    }
    else {
        detail = asText(value.detail);
    }
    detail ??= (isObject(error) ? asText(error.message) ?? asText(error.detail) : asText(error)) ?? asText(value.message);
    const errors = fieldErrors(value.errors) ?? (isObject(error) ? fieldErrors(error.details) : undefined);
    if (title !== undefined)
        problem.title = title;
    if (detail !== undefined)
        problem.detail = detail;
    if (traceId !== undefined)
        problem.traceId = traceId;
    if (code !== undefined)
        problem.code = code;
    if (type !== undefined)
        problem.type = type;
    if (errors !== undefined)
        problem.errors = errors;
    return Object.keys(problem).length ? problem : undefined;
}
function cleanProblem(problem, text) {
    const out = {};
    for (const key of ['title', 'detail', 'traceId', 'code', 'type']) {
        const value = problem[key];
        if (value !== undefined)
            out[key] = text.line(value);
    }
    if (problem.errors)
        out.errors = problem.errors.map((e) => text.line(e));
    return out;
}
/** What an error body says, whatever its shape; never throws. */
function extractProblem(contentType, raw, text) {
    const body = raw.replace(/^\ufeff/, '').trim();
    if (!body)
        return undefined;
    try {
        if (contentType.includes('json') || /^[{["]/.test(body)) {
            try {
                const parsed = problemFromJson(JSON.parse(body));
                if (parsed)
                    return cleanProblem(parsed, text);
            }
            catch {
                // Not JSON after all: read it as text below.
            }
        }
        if (looksLikeHtml(contentType, body)) {
            const title = htmlTitle(body);
            return { detail: title ? `${HTML_PAGE}: ${text.line(title, 200)}` : HTML_PAGE };
        }
        const firstLine = body.split(/\r?\n/).find((line) => line.trim()) ?? '';
        return firstLine ? { detail: text.line(firstLine) } : undefined;
    }
    catch {
        return undefined;
    }
}
/** The tail of an error message, e.g. ": Service busy (traceId 00-abc)". The status text is not repeated. */
function describeProblem(problem, statusText) {
    if (!problem)
        return '';
    const parts = [];
    if (problem.title && problem.title.toLowerCase() !== statusText.toLowerCase())
        parts.push(problem.title);
    if (problem.detail && problem.detail !== problem.title)
        parts.push(problem.detail);
    if (problem.errors?.length)
        parts.push(problem.errors.slice(0, 5).join('; '));
    const extras = [];
    if (problem.code)
        extras.push(`code ${problem.code}`);
    if (problem.traceId)
        extras.push(`traceId ${problem.traceId}`);
    const main = parts.length ? `: ${(0,core_text/* truncate */.xv)(parts.join(': '), 400)}` : '';
    return extras.length ? `${main} (${extras.join(', ')})` : main;
}

;// CONCATENATED MODULE: ./lib/core/http/errors.js
/**
 * Errors of the HTTP client: one ApiError per failed call, whose message is one sanitised line
 * ("<phase>: <METHOD> <path> <what happened>"), and the classification of each failed attempt: worth a retry
 * or not, and whether the server may have acted on it (`mayHaveApplied`).
 */



class ApiError extends Error {
    kind;
    phase;
    method;
    /** Without query string and origin. */
    path;
    status;
    problem;
    /** First 500 chars of the body, control characters removed, secrets masked. */
    bodyText;
    /** False only when the server surely did not act (refused connection, DNS, 429, 4xx other than 408). */
    mayHaveApplied;
    attempts;
    retryAfterMs;
    constructor(message, init) {
        super(message, init.cause === undefined ? undefined : { cause: init.cause });
        this.name = 'ApiError';
        this.kind = init.kind;
        this.phase = init.phase;
        this.method = init.method;
        this.path = init.path;
        this.mayHaveApplied = init.mayHaveApplied;
        this.attempts = init.attempts;
        if (init.status !== undefined)
            this.status = init.status;
        if (init.problem !== undefined)
            this.problem = init.problem;
        if (init.bodyText !== undefined)
            this.bodyText = init.bodyText;
        if (init.retryAfterMs !== undefined)
            this.retryAfterMs = init.retryAfterMs;
    }
}
/** Errors raised before the request left the machine: the server cannot have acted on it. */
const NOT_SENT = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found (DNS)',
    EAI_AGAIN: 'DNS lookup failed',
    UND_ERR_CONNECT_TIMEOUT: 'could not connect in time',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
};
const NETWORK_TEXT = {
    ECONNRESET: 'connection reset by the server',
    UND_ERR_SOCKET: 'connection closed by the server',
    EPIPE: 'connection closed by the server while sending',
    ETIMEDOUT: 'connection timed out',
    UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'the answer was cut short',
};
const TLS_CODES = /^(CERT_|ERR_TLS_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_SSL_)/;
function errorCode(err) {
    if (typeof err !== 'object' || err === null)
        return undefined;
    // Node puts the code on the error, on the first of an AggregateError (happy eyeballs) or on the cause.
    const e = err;
    const code = e.code ?? e.errors?.[0]?.code ?? e.cause?.code;
    return typeof code === 'string' ? code : undefined;
}
function seconds(ms) {
    const s = ms / 1000;
    return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}
/**
 * A non-2xx answer. `retryAfterMs`: what the server (or the rate-limit budget) asked to wait, for 429/503.
 * Redirects are never followed, so the key is never sent elsewhere.
 */
function statusFailure(answer, context, text, retryAfterMs) {
    const { status, headers, contentType } = answer;
    const statusText = external_node_http_.STATUS_CODES[status] ?? '';
    const label = statusText ? `${status} ${statusText}` : String(status);
    const bodyText = answer.text ? text.excerpt(answer.text) : undefined;
    if (status >= 300 && status <= 399) {
        let target = 'an unreadable Location';
        if (headers.location !== undefined) {
            try {
                target = text.line(new URL(headers.location, context.url).origin, 200);
            }
            catch {
                // keep the generic wording
            }
        }
        else {
            target = 'nowhere (no Location)';
        }
        return {
            kind: 'redirect',
            what: `answered ${status} redirect to ${target}: redirects are not followed, so the key is never sent elsewhere`,
            brief: `answered ${status}`,
            retryable: false,
            mayHaveApplied: true,
            status,
            ...(bodyText !== undefined && { bodyText }),
        };
    }
    const problem = extractProblem(contentType, answer.text, text);
    const summary = describeProblem(problem, statusText);
    return {
        kind: 'http',
        what: `answered ${label}${summary}`,
        brief: `answered ${status}`,
        retryable: status === 408 || status === 429 || (status >= 500 && status <= 599 && status !== 501),
        mayHaveApplied: !(status === 429 || (status >= 400 && status <= 499 && status !== 408)),
        status,
        ...(problem !== undefined && { problem }),
        ...(bodyText !== undefined && { bodyText }),
        ...(retryAfterMs !== undefined && { retryAfterMs }),
    };
}
/** A 2xx answer whose body is not the JSON asked for (often a proxy's HTML page). */
function parseFailure(status, contentType, body, err, text) {
    const bodyText = text.excerpt(body);
    if (looksLikeHtml(contentType, body)) {
        const title = htmlTitle(body);
        const detail = title ? `${HTML_PAGE}: ${text.line(title, 200)}` : HTML_PAGE;
        return {
            kind: 'parse',
            what: `answered an HTML page (probably a proxy or gateway error page)${title ? `: ${text.line(title, 200)}` : ''}`,
            brief: 'answered an HTML page',
            retryable: true,
            mayHaveApplied: true,
            status,
            problem: { detail },
            bodyText,
            cause: err,
        };
    }
    const reason = (0,core_text/* errorText */.kc)(err);
    return {
        kind: 'parse',
        what: `answered malformed JSON: ${text.line(reason, 200)}`,
        brief: 'answered malformed JSON',
        retryable: true,
        mayHaveApplied: true,
        status,
        bodyText,
        cause: err,
    };
}
/** A request that got no (whole) answer: cancelled, timed out, refused, reset, TLS, a closed client. */
function errorFailure(err, context, timedOut, answered, text) {
    if (context.aborted) {
        return { kind: 'aborted', what: 'was cancelled', brief: 'was cancelled', retryable: false, mayHaveApplied: true, cause: err };
    }
    const code = errorCode(err);
    if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
        const what = answered && code === 'UND_ERR_BODY_TIMEOUT'
            ? `timed out: the answer stalled for ${seconds(context.timeoutMs)}`
            : `timed out after ${seconds(context.timeoutMs)}`;
        return { kind: 'timeout', what, brief: what, retryable: true, mayHaveApplied: true, cause: err };
    }
    const message = text.line((0,core_text/* errorText */.kc)(err), 200);
    if (code !== undefined && NOT_SENT[code] !== undefined) {
        const what = `failed: ${NOT_SENT[code]} (${code})`;
        return { kind: 'network', what, brief: what, retryable: true, mayHaveApplied: false, cause: err };
    }
    if (code !== undefined && TLS_CODES.test(code)) {
        const what = `failed: TLS certificate problem (${code}): ${message}`;
        return { kind: 'network', what, brief: what, retryable: false, mayHaveApplied: false, cause: err };
    }
    if (code === 'UND_ERR_INVALID_ARG' || code?.startsWith('ERR_INVALID')) {
        // Also undici's "Proxy Authentication Required (407)", raised as an invalid argument.
        const what = `failed: ${message}${code ? ` (${code})` : ''}`;
        return { kind: 'config', what, brief: what, retryable: false, mayHaveApplied: false, cause: err };
    }
    if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED') {
        const what = 'failed: the HTTP client was closed';
        return { kind: 'network', what, brief: what, retryable: false, mayHaveApplied: true, cause: err };
    }
    const detail = code !== undefined && NETWORK_TEXT[code] !== undefined
        ? `${NETWORK_TEXT[code]} (${code})`
        : `${message || 'network error'}${code ? ` (${code})` : ''}`;
    const what = `failed: ${detail}${answered ? ' while reading the answer' : ''}`;
    return { kind: 'network', what, brief: what, retryable: true, mayHaveApplied: true, cause: err };
}
/** The call's ApiError from its last failure. */
function apiError(call, failure, attempts, mayHaveApplied, suffix = '') {
    const tail = attempts > 1 ? ` after ${attempts} attempts` : '';
    return new ApiError(`${call.phase}: ${call.method} ${call.path} ${failure.what}${suffix}${tail}`, {
        kind: failure.kind,
        phase: call.phase,
        method: call.method,
        path: call.path,
        mayHaveApplied,
        attempts,
        ...(failure.status !== undefined && { status: failure.status }),
        ...(failure.problem !== undefined && { problem: failure.problem }),
        ...(failure.bodyText !== undefined && { bodyText: failure.bodyText }),
        ...(failure.retryAfterMs !== undefined && { retryAfterMs: failure.retryAfterMs }),
        ...(failure.cause !== undefined && { cause: failure.cause }),
    });
}

;// CONCATENATED MODULE: ./lib/core/http/proxy.js
/**
 * Which way a request goes: straight, or through a proxy. The choice is undici's `EnvHttpProxyAgent`
 * (HTTP_PROXY / HTTPS_PROXY / NO_PROXY, lower case first), fed either from the environment (GitHub runners, the
 * CLI) or with the Azure agent's proxy URL and bypass list (ProxySettings). Two things are ours: values are
 * read from the environment the client was given (tests, the post step), never from process.env behind its
 * back; and an https request goes through a proxy only when one is set for https (HTTPS_PROXY, or the agent's
 * proxy), as curl does, where undici would fall back to HTTP_PROXY. So each protocol gets its own agent.
 */

function proxyChoice(explicit, env) {
    const agentProxy = nonEmpty(explicit?.url);
    const httpProxy = agentProxy ?? nonEmpty(env.http_proxy) ?? nonEmpty(env.HTTP_PROXY);
    const httpsProxy = agentProxy ?? nonEmpty(env.https_proxy) ?? nonEmpty(env.HTTPS_PROXY);
    // The agent's bypass list replaces NO_PROXY: the agent decides for its own pipelines.
    const noProxy = agentProxy !== undefined ? (explicit?.bypass ?? []).join(',') : (nonEmpty(env.no_proxy) ?? nonEmpty(env.NO_PROXY) ?? '');
    const proxied = new Map();
    let direct;
    const passwords = [httpProxy, httpsProxy].map(proxyPassword).filter((p) => p !== undefined);
    return {
        passwords: [...new Set(passwords)],
        dispatcherFor(url) {
            const https = url.protocol === 'https:';
            const proxy = https ? httpsProxy : httpProxy;
            if (proxy === undefined)
                return (direct ??= new undici/* Agent */.g6());
            // One agent per protocol, so an unusable proxy for one protocol does not stop the other.
            let agent = proxied.get(url.protocol);
            if (agent === undefined) {
                agent = buildAgent(https ? { httpsProxy: proxy } : { httpProxy: proxy }, noProxy);
                proxied.set(url.protocol, agent);
            }
            if (agent instanceof Error)
                throw agent;
            return agent;
        },
        async close() {
            const open = [direct, ...proxied.values()].filter((d) => d !== undefined && !(d instanceof Error));
            direct = undefined;
            proxied.clear();
            await Promise.all(open.map((d) => d.close().catch(() => undefined)));
        },
    };
}
function buildAgent(proxy, noProxy) {
    try {
        return new undici/* EnvHttpProxyAgent */.J2({
            // '' rather than undefined: undici would read process.env instead.
            httpProxy: proxy.httpProxy === undefined ? '' : proxyUri(proxy.httpProxy),
            httpsProxy: proxy.httpsProxy === undefined ? '' : proxyUri(proxy.httpsProxy),
            noProxy,
            // Plain http targets go as absolute-form requests (a classic forward proxy); https is tunnelled with
            // CONNECT either way.
            proxyTunnel: false,
        });
    }
    catch (error) {
        return error instanceof Error ? error : new Error(String(error));
    }
}
/** `proxy:8080` means `http://proxy:8080`; only http and https proxies are supported. */
function proxyUri(value) {
    const uri = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
    const parsed = new URL(uri);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
        throw new Error(`unsupported proxy protocol ${parsed.protocol}`);
    return uri;
}
function proxyPassword(proxyUrl) {
    if (!proxyUrl)
        return undefined;
    try {
        const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(proxyUrl) ? proxyUrl : `http://${proxyUrl}`);
        return url.password ? decodeURIComponent(url.password) : undefined;
    }
    catch {
        return undefined;
    }
}
function nonEmpty(value) {
    return value && value.trim() ? value.trim() : undefined;
}

;// CONCATENATED MODULE: ./lib/core/http/rate-limit.js
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const IMF_FIXDATE = /^[a-z]{3}, (\d{1,2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const RFC850_DATE = /^[a-z]+, (\d{1,2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const ASCTIME_DATE = /^[a-z]{3} ([a-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i;
/**
 * `Retry-After` as milliseconds from `nowMs` (never negative): delta-seconds or one of the three HTTP-date
 * forms. Anything else is undefined; `Date.parse` is not used because it accepts almost any text.
 */
function parseRetryAfter(value, nowMs) {
    if (value === undefined)
        return undefined;
    const text = value.trim();
    if (/^\d+$/.test(text)) {
        const ms = Number(text) * 1000;
        return Number.isFinite(ms) ? ms : undefined;
    }
    let parts;
    let match = IMF_FIXDATE.exec(text);
    if (match)
        parts = [match[1], match[2], match[3], match[4], match[5], match[6]];
    else if ((match = RFC850_DATE.exec(text))) {
        // RFC 9110: a two-digit year more than 50 years in the future means the previous century.
        const yy = Number(match[3]);
        const thisYear = new Date(nowMs).getUTCFullYear();
        let year = Math.floor(thisYear / 100) * 100 + yy;
        if (year > thisYear + 50)
            year -= 100;
        parts = [match[1], match[2], String(year), match[4], match[5], match[6]];
    }
    else if ((match = ASCTIME_DATE.exec(text))) {
        parts = [match[2], match[1], match[6], match[3], match[4], match[5]];
    }
    if (!parts)
        return undefined;
    const month = MONTHS.indexOf(parts[1].toLowerCase());
    const [day, hour, minute, second] = [Number(parts[0]), Number(parts[3]), Number(parts[4]), Number(parts[5])];
    if (month < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return undefined;
    const at = Date.UTC(Number(parts[2]), month, day, hour, minute, second);
    return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}
class RateLimiter {
    clock;
    limits;
    lastServerDate;
    constructor(clock) {
        this.clock = clock;
    }
    /** The last rate-limit headers seen. */
    get info() {
        return this.limits ? { ...this.limits } : undefined;
    }
    /**
     * The server's clock at its last answer (the `Date` header, UTC), corrected for the time since: the
     * platform's own "now", for ages measured on the platform's clock (mode check).
     */
    serverNow() {
        if (this.lastServerDate === undefined)
            return undefined;
        return this.lastServerDate.serverMs + (this.clock.now() - this.lastServerDate.seenAtMs);
    }
    /**
     * Reads the budget (and the server's date) from an answer's headers (lower-case names); returns it, or
     * undefined when the answer carries no rate-limit header.
     */
    note(headers) {
        const date = headers['date'] ? Date.parse(headers['date']) : NaN;
        if (!Number.isNaN(date))
            this.lastServerDate = { serverMs: date, seenAtMs: this.clock.now() };
        const read = (name) => {
            const raw = headers[`x-ratelimit-${name}`] ?? headers[`ratelimit-${name}`];
            if (raw === undefined)
                return undefined;
            const value = Number((raw.split(',')[0] ?? '').trim());
            return raw.trim() !== '' && Number.isFinite(value) && value >= 0 ? value : undefined;
        };
        const limit = read('limit');
        const remaining = read('remaining');
        const reset = read('reset');
        if (limit === undefined && remaining === undefined && reset === undefined)
            return undefined;
        const info = {};
        if (limit !== undefined)
            info.limit = limit;
        if (remaining !== undefined)
            info.remaining = remaining;
        // A reset as epoch seconds (some platforms) or as seconds from now (others).
        if (reset !== undefined)
            info.resetAtMs = reset > 1e9 ? reset * 1000 : this.clock.now() + reset * 1000;
        this.limits = info;
        return { ...info };
    }
    /**
     * How long to wait after a 429 or 503: its `Retry-After`, else (429 with the budget spent) until the budget
     * resets; undefined when neither says.
     */
    retryAfter(status, headers) {
        let retryAfterMs;
        if (status === 429 || status === 503)
            retryAfterMs = parseRetryAfter(headers['retry-after'], this.clock.now());
        if (status === 429 && retryAfterMs === undefined && this.limits?.remaining === 0 && this.limits.resetAtMs !== undefined) {
            retryAfterMs = Math.max(0, this.limits.resetAtMs - this.clock.now());
        }
        return retryAfterMs;
    }
}

;// CONCATENATED MODULE: ./lib/core/http/budget.js
/** Requests that may go at once, ahead of the steady pace (a step's start: a few targets' first reads). */
const REQUEST_BURST = 10;
/** The longest a request is held back to spread the budget (a Retry-After is honoured by the retry loop). */
const MAX_PACING_MS = 60_000;
/** The burst out of `available` requests: a quarter of them, at most REQUEST_BURST, at least 1 (no burst). */
function burstOf(available) {
    return Math.max(1, Math.min(REQUEST_BURST, Math.floor(available / 4)));
}
class RequestBudget {
    clock;
    /** The pace from the documented limit (gap 0: none documented). */
    documented;
    /** The longest time to a reset the headers have shown: about the length of the server's window. */
    windowMs = 0;
    /** The pace from the last headers, until `headersUntil` (their reset). */
    fromHeaders;
    headersUntil = 0;
    /** The pace in force: what `tat` was counted in. */
    pace;
    /** GCRA's theoretical arrival time: when every request handed out so far would have gone at the steady pace. */
    tat;
    /** Send time of the latest request handed out. */
    lastSendAt = -Infinity;
    /** No request before this (a 429's Retry-After, or a spent budget's reset). */
    notBefore = 0;
    constructor(clock, limit) {
        this.clock = clock;
        const valid = limit !== undefined && limit.requests >= 1 && limit.perMs > 0;
        this.documented = valid
            ? { gapMs: limit.perMs / limit.requests, burst: burstOf(limit.requests) }
            : { gapMs: 0, burst: REQUEST_BURST };
        this.pace = this.documented;
        this.tat = clock.now();
    }
    /** The steady gap between requests now in force (ms; 0 when nothing paces). */
    get gapMs() {
        return this.current(this.clock.now()).gapMs;
    }
    /**
     * A place in the schedule for one request: how long it waits before it is sent (never past `deadline`, and
     * at most a minute). Every call takes a place, so concurrent requests queue one gap apart.
     */
    take(deadline) {
        const now = this.clock.now();
        const pace = this.current(now);
        const tolerance = (pace.burst - 1) * pace.gapMs;
        const sendAt = Math.max(now, this.notBefore, this.tat - tolerance);
        this.tat = Math.max(this.tat, sendAt) + pace.gapMs;
        this.lastSendAt = Math.max(this.lastSendAt, sendAt);
        const waitMs = Math.max(0, Math.round(Math.min(sendAt - now, MAX_PACING_MS, (deadline ?? Infinity) - now)));
        if (waitMs <= 0)
            return { waitMs };
        const reason = sendAt === this.notBefore
            ? 'held by an earlier 429 or a spent budget'
            : this.fromHeaders
                ? `${this.fromHeaders.remaining} left until the reset`
                : "the platform's documented limit";
        return { waitMs, reason };
    }
    /** Corrects the pace from an answer's rate-limit headers (rate-limit.ts reads them). */
    note(info) {
        const now = this.clock.now();
        if (info?.remaining === undefined || info.resetAtMs === undefined || info.resetAtMs <= now)
            return;
        const { remaining, resetAtMs } = info;
        if (remaining <= 0) {
            // Spent: nothing until the reset; then the documented pace until the next answer says more.
            this.notBefore = Math.max(this.notBefore, resetAtMs);
            this.fromHeaders = undefined;
            this.headersUntil = 0;
            this.repace(now, this.documented);
            return;
        }
        const reserve = Math.max(1, Math.ceil((info.limit ?? 0) / 10));
        // Never faster than the headers' limit spread over the window (as long as the longest time to a reset
        // seen): a window that ends with much left is not rushed, and a server that counts a sliding window is
        // not surprised.
        this.windowMs = Math.max(this.windowMs, resetAtMs - now);
        const steadyMs = info.limit !== undefined && info.limit > 0 ? this.windowMs / info.limit : 0;
        this.fromHeaders = { gapMs: Math.max((resetAtMs - now) / remaining, steadyMs), burst: burstOf(remaining - reserve), remaining };
        this.headersUntil = resetAtMs;
        this.repace(now, this.fromHeaders);
    }
    /** No request of the step before `untilMs` (a 429's Retry-After). */
    hold(untilMs) {
        this.notBefore = Math.max(this.notBefore, untilMs);
    }
    /** The pace in force at `now`: the headers' until their reset, then the documented one. */
    current(now) {
        if (this.fromHeaders && now >= this.headersUntil) {
            this.fromHeaders = undefined;
            this.repace(now, this.documented);
        }
        return this.pace;
    }
    /**
     * A new pace: the requests already counted ahead of now are counted again at the new gap (a faster pace
     * pulls the queue in, a slower one pushes it out), and the next request goes at least one new gap after the
     * latest one handed out.
     */
    repace(now, pace) {
        const ahead = this.pace.gapMs > 0 ? Math.max(0, this.tat - now) / this.pace.gapMs : 0;
        this.tat = Math.max(now + ahead * pace.gapMs, this.lastSendAt + pace.gapMs);
        this.pace = pace;
    }
}

// EXTERNAL MODULE: ./lib/core/untrusted.js
var untrusted = __webpack_require__(6713);
;// CONCATENATED MODULE: ./lib/core/http/server-text.js
/**
 * Server text fit for an error message: escape sequences and control characters removed (bidi and
 * zero-width marks too, which can make a line read differently from what it holds), secrets masked through
 * the one masker (untrusted.ts), then cut to length, so no secret is ever cut in half.
 */


const ANSI_ESCAPE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
// Control characters other than tab and newline, plus the invisible bidi and zero-width marks that can
// make a printed line read differently from what it contains.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;
function serverText(secrets) {
    // As text: an excerpt of a JSON body keeps its exact layout.
    const mask = (0,untrusted/* secretMasker */.c8)(secrets, { json: false });
    // A masked form may be up to three times the secret's length (URL encoding): mask over a window that long
    // past the excerpt, so a secret straddling the cut is masked, not halved.
    const margin = 3 * Math.max(0, ...secrets.map((s) => s.length));
    return {
        line(text, max = 300) {
            const line = text
                .replace(ANSI_ESCAPE, '')
                .replace(/[\r\n\t\u2028\u2029]+/g, ' ')
                .replace(CONTROL, '')
                .replace(/ {2,}/g, ' ')
                .trim();
            return (0,core_text/* truncate */.xv)(mask(line), max);
        },
        excerpt(text, max = 500) {
            const window = text.slice(0, max + margin);
            const stripped = window.replace(ANSI_ESCAPE, '').replace(/\r\n?/g, '\n').replace(CONTROL, '');
            return (0,core_text/* truncate */.xv)(mask(stripped), max);
        },
    };
}

;// CONCATENATED MODULE: ./lib/core/http/client.js
/**
 * The one HTTP client of the product.
 *
 * Every call to a platform goes through `HttpClient`: one keep-alive pool per client, a per-request timeout,
 * retries with exponential backoff and full jitter (honouring `Retry-After` and the overall deadline),
 * pacing through the step's request budget (budget.ts, corrected by the `X-RateLimit-*` headers that
 * rate-limit.ts reads), proxies (proxy.ts: undici's
 * EnvHttpProxyAgent), and errors that read as one sanitised line (errors.ts).
 *
 * Two safety rules shape the code:
 * - the API key (`options.headers`) only ever goes to the API root's origin: redirects are never followed and
 *   absolute URLs to another origin are sent without it;
 * - a request that must not run twice (`retry: 'unsafe'`) is only sent again when the server surely did not
 *   act on it; otherwise the error says `mayHaveApplied` and the caller decides (e.g. looks for the new run).
 *
 * Why our own retry loop rather than undici's RetryAgent (or another library's): the loop must stop at the
 * step's deadline (never a wait past it, and a `Retry-After` beyond it fails at once), wait on the injected
 * clock (tests and the proof run it on fake time), report every resend of a POST in the normal log, and carry
 * the "may have been applied" flag across attempts, so a trigger whose answer was lost is never sent blindly
 * again. No retry library offers those four; the loop is `execute` below.
 */










/**
 * The abort signal of the work in progress (one target of a step), so a target stopped by fail-fast or a
 * cancellation also stops its request in flight, without every provider call passing a signal along.
 */
const requestScope = new external_node_async_hooks_.AsyncLocalStorage();
/** Only https, or http to a loopback host (the simulator): the key never travels in clear text. */
function assertAllowedUrl(url) {
    if (url.protocol === 'https:')
        return;
    if (url.protocol === 'http:' && (0,urls/* isLoopbackHost */.c)(url.hostname))
        return;
    const where = `${url.protocol}//${url.host}`;
    throw new ApiError(`refusing ${serverText([]).line(where, 200)}: only https, or http to a loopback address, is allowed`, { kind: 'config', phase: 'resolve', method: '', path: url.pathname, mayHaveApplied: false, attempts: 0 });
}
const ERROR_BODY_LIMIT = 64 * 1024;
function flattenHeaders(headers) {
    const out = {};
    for (const [name, value] of Object.entries(headers)) {
        if (value === undefined)
            continue;
        out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    return out;
}
function mediaType(value) {
    return (value ?? '').split(';')[0].trim().toLowerCase();
}
async function readBody(body, limit = Infinity) {
    const chunks = [];
    let size = 0;
    for await (const chunk of body) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
        chunks.push(buffer);
        size += buffer.length;
        // Breaking out destroys the body: an error page is never worth megabytes.
        if (size >= limit)
            break;
    }
    return Buffer.concat(chunks).toString('utf8');
}
async function drain(body) {
    // Reading to the end (rather than destroying) keeps the connection in the pool.
    for await (const _chunk of body)
        void _chunk;
}
class HttpClient {
    options;
    base;
    baseProblem;
    defaultHeaders;
    timeoutMs;
    maxAttempts;
    baseDelayMs;
    maxDelayMs;
    clock;
    random;
    proxies;
    rateLimits;
    /** The step's, shared with its other clients (options.budget); else this client's own. */
    budget;
    /** Server text made fit for messages, with the key and the proxy passwords masked. */
    text;
    sent = 0;
    closed = false;
    constructor(options) {
        this.options = options;
        try {
            const base = new URL(options.baseUrl);
            if (base.protocol !== 'https:' && base.protocol !== 'http:')
                throw new Error('not http(s)');
            this.base = base;
        }
        catch {
            // Reported by the first request, with its phase.
            this.baseProblem = 'the API root (base URL) is not a valid http(s) URL';
        }
        this.defaultHeaders = lowerCaseKeys(options.headers ?? {});
        this.timeoutMs = Math.max(1, options.requestTimeoutMs ?? 30_000);
        this.maxAttempts = Math.max(1, Math.floor(options.retry?.maxAttempts ?? 5));
        this.baseDelayMs = Math.max(0, options.retry?.baseDelayMs ?? 500);
        this.maxDelayMs = Math.max(0, options.retry?.maxDelayMs ?? 30_000);
        this.clock = options.clock ?? clock/* systemClock */.m;
        this.random = options.random ?? Math.random;
        this.proxies = proxyChoice(options.proxy, options.env ?? process.env);
        this.rateLimits = new RateLimiter(this.clock);
        this.budget = options.budget ?? new RequestBudget(this.clock);
        this.text = serverText([...(options.secrets ?? []), ...this.proxies.passwords]);
    }
    /** Requests actually sent (every attempt). */
    get requestCount() {
        return this.sent;
    }
    /**
     * The server's clock at its last answer (the `Date` header, UTC), corrected for the time since: the
     * platform's own "now", for ages measured on the platform's clock (mode check).
     */
    serverNow() {
        return this.rateLimits.serverNow();
    }
    /** The last rate-limit headers seen. */
    get rateLimit() {
        return this.rateLimits.info;
    }
    async request(options) {
        return this.execute(options, false, async (call, answer) => {
            const { res, status, headers, contentType } = answer;
            if (call.expect === 'none') {
                await drain(res.body);
                return { ok: true, value: { status, headers, contentType, text: '', data: undefined } };
            }
            const text = await readBody(res.body);
            if (call.expect === 'text')
                return { ok: true, value: { status, headers, contentType, text, data: undefined } };
            const json = text.replace(/^\ufeff/, '');
            // An empty body (202 with no content, 204) is not malformed: it simply carries no data.
            if (!json.trim())
                return { ok: true, value: { status, headers, contentType, text, data: undefined } };
            try {
                return { ok: true, value: { status, headers, contentType, text, data: JSON.parse(json) } };
            }
            catch (err) {
                // A status the caller asked for (okStatuses) is not retried for its body.
                if (status < 200 || status > 299)
                    return { ok: true, value: { status, headers, contentType, text, data: undefined } };
                return { ok: false, failure: parseFailure(status, contentType, text, err, this.text) };
            }
        });
    }
    async stream(options) {
        return this.execute(options, true, async (call, answer) => {
            const { status, headers, contentType } = answer;
            return { ok: true, value: { status, headers, contentType, body: this.guardBody(call, answer.res.body) } };
        });
    }
    async close() {
        this.closed = true;
        await this.proxies.close();
    }
    // -------------------------------------------------------------------------------------------------------
    // The retry loop (our own: see the module note)
    async execute(options, streaming, accept) {
        const call = this.prepare(options);
        let attempts = 0;
        let mayHaveApplied = false;
        for (;;) {
            if (call.signal.aborted)
                throw this.abortedError(call, attempts, mayHaveApplied, attempts > 0);
            await this.pace(call, attempts, mayHaveApplied);
            attempts += 1;
            call.attempts = attempts;
            const outcome = await this.attempt(call, streaming, accept);
            if (outcome.ok)
                return outcome.value;
            const failure = outcome.failure;
            // One attempt that may have landed taints the whole call, whatever the later attempts say.
            mayHaveApplied ||= failure.mayHaveApplied;
            // A 429 holds every request of the step to this server, not only this one (budget.ts).
            if (failure.status === 429 && failure.retryAfterMs !== undefined && call.sameOrigin)
                this.budget.hold(this.clock.now() + failure.retryAfterMs);
            const retryable = failure.retryable && (call.policy === 'safe' || !failure.mayHaveApplied);
            if (!retryable || attempts >= this.maxAttempts)
                throw apiError(call, failure, attempts, mayHaveApplied);
            const now = this.clock.now();
            const deadline = this.options.deadline?.();
            let wait;
            if (failure.retryAfterMs !== undefined) {
                wait = failure.retryAfterMs;
                if (deadline !== undefined && now + wait > deadline) {
                    const asked = `; the server asked to retry after ${seconds(Math.ceil(wait / 1000) * 1000)}, past the deadline`;
                    throw apiError(call, failure, attempts, mayHaveApplied, asked);
                }
            }
            else {
                wait = this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempts - 1));
                if (deadline !== undefined && now + wait > deadline)
                    throw apiError(call, failure, attempts, mayHaveApplied);
            }
            wait = Math.max(0, Math.round(wait));
            const retryLine = `${call.method} ${call.path} ${failure.brief}, retry ${attempts + 1}/${this.maxAttempts} in ${seconds(Math.round(wait / 100) * 100)}`;
            if (call.method === 'GET' || !this.options.notice)
                this.options.log?.(retryLine);
            else
                this.options.notice(`resending: ${retryLine}${mayHaveApplied ? ' (the earlier attempt may have been applied)' : ' (the earlier attempt was not applied)'}`);
            try {
                await this.clock.sleep(wait, call.signal);
            }
            catch {
                throw this.abortedError(call, attempts, mayHaveApplied, false);
            }
        }
    }
    async attempt(call, streaming, accept) {
        // Real time on purpose: the per-request timeout guards against a silent server, not against the schedule.
        const timer = new AbortController();
        let timedOut = false;
        const handle = setTimeout(() => {
            timedOut = true;
            timer.abort(new Error('request timeout'));
        }, call.timeoutMs);
        let answered = false;
        try {
            this.sent += 1;
            const res = await (0,undici/* request */.Em)(call.url, {
                dispatcher: call.dispatcher,
                method: call.method,
                headers: call.headers,
                body: call.body ?? null,
                signal: AbortSignal.any([call.signal, timer.signal]),
                headersTimeout: call.timeoutMs,
                // For a stream, the only body limit is an idle gap; a buffered body is bounded by the timer above.
                bodyTimeout: call.timeoutMs,
            });
            answered = true;
            // --verbose: every request and its answer status (the path only: a query may carry a signature).
            this.options.log?.(`${call.method} ${call.path} → ${res.statusCode}${call.attempts > 1 ? ` (attempt ${call.attempts})` : ''}`);
            const headers = flattenHeaders(res.headers);
            const limits = this.rateLimits.note(headers);
            if (call.sameOrigin)
                this.budget.note(limits);
            const answer = { res, status: res.statusCode, headers, contentType: mediaType(headers['content-type']) };
            const wanted = (answer.status >= 200 && answer.status <= 299) || call.okStatuses.has(answer.status);
            if (!wanted)
                return { ok: false, failure: await this.statusFailure(call, answer) };
            // From here a stream belongs to the caller: only the idle-gap limit (bodyTimeout) and call.signal apply.
            if (streaming)
                clearTimeout(handle);
            return await accept(call, answer);
        }
        catch (err) {
            return { ok: false, failure: errorFailure(err, this.context(call), timedOut, answered, this.text) };
        }
        finally {
            clearTimeout(handle);
        }
    }
    // -------------------------------------------------------------------------------------------------------
    // Classifying failures (errors.ts)
    context(call) {
        return { url: call.url, timeoutMs: call.timeoutMs, aborted: call.signal.aborted };
    }
    async statusFailure(call, answer) {
        const text = await readBody(answer.res.body, ERROR_BODY_LIMIT);
        const retryAfterMs = this.rateLimits.retryAfter(answer.status, answer.headers);
        return statusFailure({ ...answer, text }, this.context(call), this.text, retryAfterMs);
    }
    abortedError(call, attempts, mayHaveApplied, duringAttempt) {
        // Say why it stopped when the signal says (e.g. "the step timed out"), not just "cancelled".
        const reason = call.signal.reason instanceof Error && call.signal.reason.name !== 'AbortError' ? call.signal.reason.message : '';
        const stopped = reason ? `was stopped (${reason})` : 'was cancelled';
        const what = attempts === 0 ? `${stopped} before it was sent` : duringAttempt ? stopped : `${stopped} while waiting to retry`;
        return apiError(call, { kind: 'aborted', what, brief: what, retryable: false, mayHaveApplied }, attempts, mayHaveApplied);
    }
    /** The stream handed to the caller: transport errors become ApiErrors (never retried: data was consumed). */
    guardBody(call, body) {
        const classify = (err) => apiError(call, errorFailure(err, this.context(call), false, true, this.text), call.attempts, true);
        return (async function* guarded() {
            try {
                for await (const chunk of body)
                    yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
            }
            catch (err) {
                throw classify(err);
            }
        })();
    }
    /** Waits for this request's turn in the step's request budget (budget.ts); other origins are not counted. */
    async pace(call, attempts, mayHaveApplied) {
        if (!call.sameOrigin)
            return;
        const { waitMs, reason } = this.budget.take(this.options.deadline?.());
        if (waitMs <= 0)
            return;
        // Said only when it is worth a line (the log shows tenths of a second).
        if (waitMs >= 100)
            this.options.log?.(`${call.method} ${call.path} waits ${seconds(Math.round(waitMs / 100) * 100)}: rate limit pacing (${reason})`);
        try {
            await this.clock.sleep(waitMs, call.signal);
        }
        catch {
            throw this.abortedError(call, attempts, mayHaveApplied, false);
        }
    }
    // -------------------------------------------------------------------------------------------------------
    // Preparing a request
    prepare(options) {
        const scoped = requestScope.getStore()?.signal;
        const signals = [this.options.signal, options.signal, scoped].filter((s) => s !== undefined);
        // AbortSignal.any([]) never aborts, which is what no signal at all means.
        const signal = signals.length === 1 ? signals[0] : AbortSignal.any(signals);
        const configError = (what, path) => new ApiError(`${options.phase}: ${options.method} ${path} ${what}`, {
            kind: 'config',
            phase: options.phase,
            method: options.method,
            path,
            mayHaveApplied: false,
            attempts: 0,
        });
        let url;
        try {
            url = this.resolveUrl(options.path, options.query);
        }
        catch (err) {
            const path = this.text.line(options.path.split(/[?#]/)[0] ?? '', 200);
            throw configError(`refused: ${this.text.line(err instanceof Error ? err.message : 'invalid URL', 200)}`, path);
        }
        const path = this.text.line(url.pathname, 300);
        try {
            assertAllowedUrl(url);
        }
        catch (err) {
            throw configError(err.message, path);
        }
        if (this.closed)
            throw configError('refused: the HTTP client is closed', path);
        let dispatcher;
        try {
            dispatcher = this.proxies.dispatcherFor(url);
        }
        catch (err) {
            throw configError(`refused: invalid proxy setting: ${this.text.line((0,core_text/* errorText */.kc)(err), 200)}`, path);
        }
        const sameOrigin = this.base !== undefined && url.origin === this.base.origin;
        const expect = options.expect ?? 'json';
        const headers = {
            'user-agent': this.options.userAgent ?? 'orchestration-run',
            accept: expect === 'json' ? 'application/json, application/problem+json;q=0.9, */*;q=0.5' : '*/*',
            ...(options.auth !== false && sameOrigin ? this.defaultHeaders : {}),
        };
        let body;
        if (options.json !== undefined) {
            body = JSON.stringify(options.json);
            headers['content-type'] = 'application/json';
        }
        Object.assign(headers, lowerCaseKeys(options.headers ?? {}));
        return {
            method: options.method,
            phase: options.phase,
            policy: options.retry,
            url,
            path,
            sameOrigin,
            headers,
            body,
            expect,
            timeoutMs: Math.max(1, options.timeoutMs ?? this.timeoutMs),
            signal,
            okStatuses: new Set(options.okStatuses ?? []),
            dispatcher,
            attempts: 0,
        };
    }
    resolveUrl(path, query) {
        let url;
        if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
            url = new URL(path);
        }
        else {
            if (!this.base)
                throw new Error(this.baseProblem ?? 'no API root');
            // Setting pathname (rather than resolving a string) keeps "//host/x" from becoming another origin.
            url = new URL(this.base.origin);
            const [pathPart, search] = splitOnce(path.split('#')[0] ?? '', '?');
            const prefix = this.base.pathname.replace(/\/+$/, '');
            url.pathname = `${prefix}${pathPart.startsWith('/') ? '' : '/'}${pathPart}`;
            if (search !== undefined)
                url.search = search;
        }
        url.hash = '';
        for (const [name, value] of Object.entries(query ?? {})) {
            if (value !== undefined)
                url.searchParams.append(name, String(value));
        }
        return url;
    }
}
function lowerCaseKeys(headers) {
    const out = {};
    for (const [name, value] of Object.entries(headers))
        out[name.toLowerCase()] = value;
    return out;
}
function splitOnce(text, separator) {
    const index = text.indexOf(separator);
    return index < 0 ? [text, undefined] : [text.slice(0, index), text.slice(index + 1)];
}

;// CONCATENATED MODULE: ./lib/core/http/index.js
/**
 * The HTTP client (client.ts) and what goes with it: request options (options.ts), errors (errors.ts, with
 * error bodies in problem.ts), rate limits (rate-limit.ts), the step's request budget (budget.ts), proxies
 * (proxy.ts), sanitised server text (server-text.ts).
 */







/***/ }),

/***/ 3278:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   U: () => (/* binding */ jsonArrayItems)
/* harmony export */ });
/* unused harmony export JsonStreamError */
/* harmony import */ var node_string_decoder__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6193);
/**
 * Streams the items of a top-level JSON array without holding the whole body: a 25 MB log is parsed one
 * entry at a time. Each item's text is handed to JSON.parse, so the items themselves may be any JSON.
 *
 * The scan works on character codes in a plain object that keeps only the unfinished item between chunks;
 * the generator hands out one chunk's items at a time (200,000 log entries: about 0.5 s of CPU).
 */

class JsonStreamError extends Error {
}
/**
 * `skip`: the first items are counted, not parsed nor even copied out of the text (a log read again from its
 * start to reach its new entries allocates nothing for the ones already read).
 */
async function* jsonArrayItems(body, options = {}) {
    const decoder = new node_string_decoder__WEBPACK_IMPORTED_MODULE_0__.StringDecoder('utf8');
    const scanner = new ArrayScanner(options.skip ?? 0);
    for await (const chunk of body) {
        const items = scanner.scan(typeof chunk === 'string' ? chunk : decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
        for (const value of items)
            yield value;
    }
    scanner.finish();
}
/** The state of the scan between chunks: where we are in the array, and the text of an unfinished item. */
class ArrayScanner {
    started = false;
    ended = false;
    depth = 0;
    inString = false;
    escaped = false;
    item = '';
    /** Items still to skip: their text is never built. */
    skipping;
    /** The item being skipped has text (so `[]` is no item). */
    skippedText = false;
    constructor(skip) {
        this.skipping = Math.max(0, skip);
    }
    /** The item ending here: parsed, or counted while skipping. */
    complete(items, text, from, to, last) {
        if (this.skipping > 0) {
            if (!last || this.skippedText || text.slice(from, to).trim() !== '')
                this.skipping--;
            this.skippedText = false;
            return;
        }
        const item = this.item + text.slice(from, to);
        this.item = '';
        if (!last || item.trim() !== '')
            items.push(parseItem(item));
    }
    /** The items completed by this piece of text. */
    scan(text) {
        const items = [];
        let from = 0;
        for (let i = 0; i < text.length; i++) {
            const ch = text.charCodeAt(i);
            if (!this.started) {
                if (ch === 0x5b /* [ */) {
                    this.started = true;
                    from = i + 1;
                }
                else if (!isSpace(ch)) {
                    throw new JsonStreamError(`expected a JSON array, got '${text[i]}'`);
                }
                continue;
            }
            if (this.ended) {
                if (!isSpace(ch))
                    throw new JsonStreamError('unexpected text after the JSON array');
                continue;
            }
            if (this.inString) {
                if (this.escaped)
                    this.escaped = false;
                else if (ch === 0x5c /* \ */)
                    this.escaped = true;
                else if (ch === 0x22 /* " */)
                    this.inString = false;
                continue;
            }
            if (ch === 0x22)
                this.inString = true;
            else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */)
                this.depth++;
            else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
                if (this.depth === 0) {
                    // the closing bracket of the top-level array
                    this.complete(items, text, from, i, true);
                    this.ended = true;
                    continue;
                }
                this.depth--;
            }
            else if (ch === 0x2c /* , */ && this.depth === 0) {
                this.complete(items, text, from, i, false);
                from = i + 1;
            }
        }
        if (this.started && !this.ended && from < text.length) {
            if (this.skipping === 0)
                this.item += text.slice(from);
            else if (!this.skippedText && text.slice(from).trim() !== '')
                this.skippedText = true;
        }
        return items;
    }
    finish() {
        if (!this.started)
            throw new JsonStreamError('expected a JSON array, got an empty body');
        if (!this.ended)
            throw new JsonStreamError('the JSON array was cut off before its end');
    }
}
/** Whitespace as `/\s/` sees it (JSON's four, and a BOM or other spaces a server may send around the array). */
function isSpace(ch) {
    if (ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09)
        return true;
    return (ch > 0x7f || ch === 0x0b || ch === 0x0c) && /\s/.test(String.fromCharCode(ch));
}
function parseItem(text) {
    try {
        return JSON.parse(text);
    }
    catch (error) {
        throw new JsonStreamError(`malformed JSON item: ${error.message}`);
    }
}


/***/ }),

/***/ 3085:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Gv: () => (/* binding */ isObject),
/* harmony export */   Up: () => (/* binding */ pick),
/* harmony export */   bu: () => (/* binding */ num),
/* harmony export */   c3: () => (/* binding */ listOf),
/* harmony export */   gx: () => (/* binding */ str),
/* harmony export */   ym: () => (/* binding */ ShapeError)
/* harmony export */ });
/**
 * Tolerant readers for server JSON: providers parse each answer into typed objects once, accepting the
 * field aliases a platform is known (or suspected) to use and ignoring extra fields.
 */
function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
/** The first present (not undefined/null) field among `names`. */
function pick(obj, ...names) {
    for (const name of names) {
        const value = obj[name];
        if (value !== undefined && value !== null)
            return value;
    }
    return undefined;
}
function str(value) {
    if (typeof value === 'string')
        return value;
    if (typeof value === 'number' && Number.isFinite(value))
        return String(value);
    return undefined;
}
function num(value) {
    if (typeof value === 'number' && Number.isFinite(value))
        return value;
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        return Number(value);
    return undefined;
}
/** An array answer, or the list inside a known envelope (`items`, `data`, `results`). */
function listOf(value, ...envelopeKeys) {
    if (Array.isArray(value))
        return value;
    if (isObject(value)) {
        for (const key of envelopeKeys.length ? envelopeKeys : ['items', 'data', 'results']) {
            const inner = value[key];
            if (Array.isArray(inner))
                return inner;
        }
    }
    return undefined;
}
/** Thrown when an answer does not have the shape the API documents; the message names what was expected. */
class ShapeError extends Error {
    constructor(what, got) {
        const kind = Array.isArray(got) ? 'an array' : got === null ? 'null' : typeof got;
        super(`unexpected answer: expected ${what}, got ${kind}`);
        this.name = 'ShapeError';
    }
}


/***/ }),

/***/ 2776:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   $: () => (/* binding */ LogFile),
/* harmony export */   J: () => (/* binding */ LogTail)
/* harmony export */ });
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3024);
/* harmony import */ var _untrusted_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(6713);
/**
 * The step's log file: every log line of every failed task goes here in full, while only the last
 * `log-lines` lines of each task are kept in memory for printing. Writes are synchronous and buffered so a
 * 200,000-line log streams through in flat memory.
 */


/** Lines that look like errors become annotations (a few per task). */
const ERROR_LINE = /\b(ERROR|FATAL|Exception)\b/;
const MAX_ERROR_LINES_PER_TASK = 5;
const FLUSH_BYTES = 64 * 1024;
/**
 * What a task's summary needs from its log, kept while the lines go by: the last `tailLines` lines in a ring
 * (constant work per line, however long the log), the first error lines, and the count. Bounded memory.
 */
class LogTail {
    tailLines;
    ring;
    errors = [];
    count = 0;
    constructor(tailLines) {
        this.tailLines = tailLines;
        this.ring = new Array(Math.max(0, tailLines));
    }
    /** One line, already masked. */
    add(line) {
        if (this.tailLines > 0)
            this.ring[this.count % this.tailLines] = line;
        this.count++;
        if (this.errors.length < MAX_ERROR_LINES_PER_TASK && ERROR_LINE.test(line))
            this.errors.push(line);
    }
    summary() {
        const kept = Math.min(this.count, this.tailLines);
        const excerpt = Array.from({ length: kept }, (_, i) => this.ring[(this.count - kept + i) % this.tailLines]);
        return { excerpt, errorLines: this.errors.slice(), count: this.count };
    }
}
class LogFile {
    path;
    tailLines;
    fd;
    buffer = [];
    bufferedBytes = 0;
    /**
     * Cleans everything written: control characters and escape sequences removed first, then the key masked
     * (a server may echo it in a log line, even split by a colour code). CI commands are broken where lines
     * are printed; the file is read by people, not by a runner.
     */
    mask;
    constructor(path, tailLines, secrets = []) {
        this.path = path;
        this.tailLines = tailLines;
        this.mask = (0,_untrusted_js__WEBPACK_IMPORTED_MODULE_1__/* .secretMasker */ .c8)(secrets);
    }
    open(title) {
        this.append(this.mask(`===== ${title} =====`));
        const tail = new LogTail(this.tailLines);
        return {
            write: (raw) => {
                const line = this.mask(raw);
                tail.add(line);
                this.append(line);
            },
            finish: () => {
                this.flush();
                return tail.summary();
            },
        };
    }
    note(line) {
        this.append(this.mask(line));
        this.flush();
    }
    /** One line written as it comes (live logs): buffered like a task's log, so a long log streams through. */
    line(line) {
        this.append(this.mask(line));
    }
    close() {
        this.flush();
        if (this.fd !== undefined)
            (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.closeSync)(this.fd);
        this.fd = undefined;
    }
    append(line) {
        this.buffer.push(line, '\n');
        this.bufferedBytes += line.length + 1;
        if (this.bufferedBytes >= FLUSH_BYTES)
            this.flush();
    }
    flush() {
        if (this.buffer.length === 0)
            return;
        this.fd ??= (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.openSync)(this.path, 'a', 0o600);
        (0,node_fs__WEBPACK_IMPORTED_MODULE_0__.writeSync)(this.fd, this.buffer.join(''));
        this.buffer = [];
        this.bufferedBytes = 0;
    }
}


/***/ }),

/***/ 1307:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Hd: () => (/* binding */ isTerminal),
/* harmony export */   OF: () => (/* binding */ evidenceLine),
/* harmony export */   Rr: () => (/* binding */ exitCodeFor),
/* harmony export */   SP: () => (/* binding */ normalizeStatus),
/* harmony export */   TZ: () => (/* binding */ missingProofs),
/* harmony export */   gX: () => (/* binding */ overallStatus)
/* harmony export */ });
/* unused harmony exports TERMINAL_STATES, PROOF_NAMES, EXIT, stepPasses */
/**
 * The normalized run states and the result of one target.
 *
 * Every provider maps its own status words to RunState through one StatusTable; the engine turns the last
 * observation into a StepStatus. Only an explicit success word is ever green.
 */
const TERMINAL_STATES = new Set(['succeeded', 'failed', 'cancelled']);
/**
 * Maps a raw status word to a RunState.
 * An unknown (or empty) word is `unknown` while the run has no end time, and `failed` once it has one:
 * a run we cannot read as a success is never reported as one. A known in-progress word stays in progress
 * even when an end time is already set (the run has ended only when its status is terminal too).
 */
function normalizeStatus(table, raw, hasEnded) {
    const word = (raw ?? '').trim().toLowerCase();
    const has = (list) => list.some((w) => w.toLowerCase() === word);
    if (word !== '') {
        if (has(table.succeeded))
            return 'succeeded';
        if (has(table.failed))
            return 'failed';
        if (has(table.cancelled))
            return 'cancelled';
        if (has(table.queued))
            return 'queued';
        if (has(table.running))
            return 'running';
    }
    return hasEnded ? 'failed' : 'unknown';
}
function isTerminal(state) {
    return TERMINAL_STATES.has(state);
}
const PROOF_NAMES = ['identity', 'success', 'end', 'members', 'history'];
/** Names of the proofs that are required but missing or failing, in a fixed order. */
function missingProofs(evidence, required) {
    return PROOF_NAMES.filter((name) => required.includes(name) && evidence[name]?.ok !== true);
}
/** One line, e.g. `identity ✓ id in the trigger answer; success ✓ Finished; end ✗ no end time seen`. */
function evidenceLine(evidence) {
    return PROOF_NAMES.filter((name) => evidence[name] !== undefined)
        .map((name) => `${name} ${evidence[name].ok ? '✓' : '✗'} ${evidence[name].detail}`)
        .join('; ');
}
/** Exit codes of the CLI; the other front ends map them to their own pass/fail. */
const EXIT = { succeeded: 0, failed: 1, badInput: 2, timedOut: 3 };
/** The step's overall status from its targets: all green → succeeded; any timeout → timed-out; etc. */
function overallStatus(results) {
    if (results.length === 0)
        return 'failed';
    const statuses = results.map((r) => r.status);
    if (statuses.every((s) => s === 'succeeded'))
        return 'succeeded';
    if (statuses.every((s) => s === 'triggered'))
        return 'triggered';
    if (statuses.every((s) => s === 'running' || s === 'triggered' || s === 'succeeded')) {
        return statuses.includes('running') ? 'running' : 'triggered';
    }
    if (statuses.includes('failed'))
        return 'failed';
    if (statuses.includes('timed-out'))
        return 'timed-out';
    if (statuses.includes('cancelled'))
        return 'cancelled';
    return 'failed';
}
/** Whether the step passes: every target succeeded, or (trigger mode) was triggered. */
function stepPasses(results) {
    return results.length > 0 && results.every((r) => r.status === 'succeeded' || r.status === 'triggered' || r.status === 'running');
}
function exitCodeFor(status) {
    switch (status) {
        case 'succeeded':
        case 'triggered':
        case 'running':
            return EXIT.succeeded;
        case 'timed-out':
            return EXIT.timedOut;
        default:
            return EXIT.failed;
    }
}


/***/ }),

/***/ 2462:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  PLANASONIX_STATUS: () => (/* binding */ PLANASONIX_STATUS),
  PlanasonixProvider: () => (/* binding */ PlanasonixProvider),
  TRIGGERED_BY: () => (/* binding */ TRIGGERED_BY),
  idempotencyKeyFor: () => (/* binding */ idempotencyKeyFor),
  metadataFor: () => (/* binding */ metadataFor),
  percentText: () => (/* binding */ percentText),
  planasonixModule: () => (/* binding */ planasonixModule),
  rowsText: () => (/* binding */ rowsText)
});

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: ./lib/core/outcome.js
var outcome = __webpack_require__(1307);
// EXTERNAL MODULE: ./lib/core/http/index.js + 7 modules
var http = __webpack_require__(6416);
// EXTERNAL MODULE: ./lib/core/untrusted.js
var untrusted = __webpack_require__(6713);
// EXTERNAL MODULE: external "node:string_decoder"
var external_node_string_decoder_ = __webpack_require__(6193);
// EXTERNAL MODULE: ./lib/core/json.js
var json = __webpack_require__(3085);
// EXTERNAL MODULE: ./lib/core/json-stream.js
var json_stream = __webpack_require__(3278);
;// CONCATENATED MODULE: ./lib/providers/planasonix/api.js
/**
 * Planasonix orchestration v1 (`/api/v1/...`, snake_case) and REST resources (`/api/...`, camelCase):
 * one typed call per endpoint. Paths are relative to `base-url`, which carries any versioned base path
 * (`https://api.planasonix.com/v1` → `/v1/api/...`, apis.md §3.1).
 *
 * Server JSON is parsed here, once. Every documented (and every plausible) variant is accepted, because the
 * sources disagree (apis.md §3.8): enveloped `{data:{job}}` or flat `{job_id}` answers, `runId` or
 * `{data:{id}}`, snake_case or camelCase, `finishedAt` or `endedAt`, bare-array or `{data, meta}` lists,
 * and three log formats. Error bodies are read by the HTTP client (`{"error":{"code","message"}}`,
 * `{"code","message"}`, `{"error":"…"}` all become ApiError.problem).
 */




const V1 = '/api/v1';
const REST = '/api';
/** Page size we ask for on lists. */
const PAGE_SIZE = 50;
/**
 * Most pages read of one list (issue 12: check mode reads every page it needs, with a bound that fails
 * clearly past it). A list that goes on past it is reported incomplete, never taken as whole.
 */
const MAX_PAGES = 50;
const MAX_LOG_PAGES = 200;
/** A JSON log answer (a list of URLs, or lines) is buffered up to this size. */
const JSON_LOG_LIMIT = 32 * 1024 * 1024;
const enc = encodeURIComponent;
/** A failure that needs no HTTP hint: the message says it all. */
class PlanasonixError extends Error {
    constructor(message) {
        super(message);
        this.name = 'PlanasonixError';
    }
}
// ---------------------------------------------------------------------------------------------------------
// Field readers
function api_text(o, ...names) {
    const value = (0,json/* pick */.Up)(o, ...names);
    const s = (0,json/* str */.gx)(value);
    return s === undefined || s === '' ? null : s;
}
function count(o, ...names) {
    return (0,json/* num */.bu)((0,json/* pick */.Up)(o, ...names)) ?? null;
}
const END_FIELDS = ['finished_at', 'finishedAt', 'ended_at', 'endedAt', 'completed_at', 'completedAt', 'end_time', 'endTime'];
const START_FIELDS = ['started_at', 'startedAt', 'start_time', 'startTime'];
const CREATED_FIELDS = ['created_at', 'createdAt', 'queued_at', 'queuedAt'];
/**
 * The single object of an answer: `{data: {<inner>: {...}}}`, `{data: {...}}`, `{<inner>: {...}}` or the
 * object itself.
 */
function unwrap(value, inner) {
    if (!(0,json/* isObject */.Gv)(value))
        return undefined;
    const level = (0,json/* isObject */.Gv)(value.data) ? value.data : value;
    return (0,json/* isObject */.Gv)(level[inner]) ? level[inner] : level;
}
/** `error` as an object `{message, code, stack…}`, or a string; plus flat `errorMessage` fields. */
function readError(o) {
    const error = o.error;
    if ((0,json/* isObject */.Gv)(error)) {
        return {
            message: api_text(error, 'message', 'detail', 'error', 'description'),
            code: api_text(error, 'code', 'type', 'class', 'error_class', 'errorClass'),
            stack: api_text(error, 'stackRef', 'stack_ref', 'stack_reference', 'stackReference', 'stack', 'stackTrace', 'stack_trace', 'traceId', 'trace_id'),
            node: api_text(error, 'nodeId', 'node_id', 'node'),
        };
    }
    return {
        message: (0,json/* str */.gx)(error) ?? api_text(o, 'errorMessage', 'error_message'),
        code: api_text(o, 'errorCode', 'error_code'),
        stack: null,
        node: null,
    };
}
/** The first of `names` that holds a non-empty string: its name and value. */
function named(o, names) {
    for (const name of names) {
        const value = api_text(o, name);
        if (value !== null)
            return { field: name, value };
    }
    return undefined;
}
const KEY_FIELDS = ['idempotency_key', 'idempotencyKey'];
const METADATA_FIELDS = ['metadata', 'triggerMetadata', 'trigger_metadata'];
/** The idempotency key the object carries, top-level or in its (trigger) metadata, and where it was found. */
function markerOf(o) {
    const top = named(o, KEY_FIELDS);
    if (top)
        return { idempotencyKey: top.value, keyField: top.field };
    for (const holder of METADATA_FIELDS) {
        const metadata = o[holder];
        if (!(0,json/* isObject */.Gv)(metadata))
            continue;
        const inner = named(metadata, KEY_FIELDS);
        if (inner)
            return { idempotencyKey: inner.value, keyField: `${holder}.${inner.field}` };
    }
    return { idempotencyKey: null, keyField: null };
}
function endOf(o) {
    const end = named(o, END_FIELDS);
    return { finishedAt: end?.value ?? null, endField: end?.field ?? null };
}
function parseJob(o) {
    const id = api_text(o, 'id', 'job_id', 'jobId');
    if (id === null)
        return undefined;
    const progress = (0,json/* isObject */.Gv)(o.progress) ? o.progress : {};
    const error = readError(o);
    return {
        id,
        status: api_text(o, 'status', 'state'),
        connectionId: api_text(o, 'connection_id', 'connectionId'),
        createdAt: api_text(o, ...CREATED_FIELDS),
        startedAt: api_text(o, ...START_FIELDS),
        ...endOf(o),
        durationSeconds: count(o, 'duration_seconds', 'durationSeconds'),
        rowsSynced: count(progress, 'rows_synced', 'rowsSynced') ?? count(o, 'rows_synced', 'rowsSynced'),
        errorMessage: error.message,
        errorCode: error.code,
        ...markerOf(o),
    };
}
function parseBackfill(o) {
    const id = api_text(o, 'id', 'backfill_id', 'backfillId');
    if (id === null)
        return undefined;
    const error = readError(o);
    const jobs = (0,json/* pick */.Up)(o, 'internal_jobs', 'internalJobs', 'jobs');
    return {
        id,
        status: api_text(o, 'status', 'state'),
        connectionId: api_text(o, 'connection_id', 'connectionId'),
        progressPercent: count(o, 'progress_percent', 'progressPercent'),
        createdAt: api_text(o, ...CREATED_FIELDS),
        startedAt: api_text(o, ...START_FIELDS),
        ...endOf(o),
        errorMessage: error.message,
        errorCode: error.code,
        internalJobs: Array.isArray(jobs)
            ? jobs.filter(json/* isObject */.Gv).map((j) => ({ id: api_text(j, 'id', 'job_id') ?? '?', status: api_text(j, 'status', 'state') }))
            : [],
        ...markerOf(o),
    };
}
function parseRun(o) {
    const id = api_text(o, 'id', 'runId', 'run_id');
    if (id === null)
        return undefined;
    const metrics = (0,json/* isObject */.Gv)(o.metrics) ? o.metrics : {};
    const error = readError(o);
    return {
        id,
        pipelineId: api_text(o, 'pipelineId', 'pipeline_id'),
        status: api_text(o, 'status', 'state'),
        createdAt: api_text(o, ...CREATED_FIELDS),
        startedAt: api_text(o, ...START_FIELDS),
        ...endOf(o),
        durationSeconds: count(o, 'durationSeconds', 'duration_seconds'),
        rowsRead: count(metrics, 'rowsRead', 'rows_read') ?? count(o, 'recordsRead', 'records_read'),
        rowsWritten: count(metrics, 'rowsWritten', 'rows_written') ?? count(o, 'recordsWritten', 'records_written'),
        errorMessage: error.message,
        errorCode: error.code,
        errorStack: error.stack,
        errorNode: error.node,
        ...markerOf(o),
    };
}
function parseNode(o) {
    const id = api_text(o, 'id', 'nodeId', 'node_id', 'name');
    if (id === null)
        return undefined;
    return {
        id,
        name: api_text(o, 'name', 'label', 'title') ?? id,
        state: api_text(o, 'state', 'status'),
        startedAt: api_text(o, ...START_FIELDS),
        finishedAt: api_text(o, ...END_FIELDS),
        retries: count(o, 'retries', 'retryCount', 'retry_count', 'attempts'),
        rowsRead: count(o, 'rowsRead', 'rows_read', 'recordsRead'),
        rowsWritten: count(o, 'rowsWritten', 'rows_written', 'recordsWritten'),
    };
}
const CURSOR_KEYS = ['cursor', 'next_cursor', 'nextCursor'];
/** A bare array, `{data, meta:{cursor}}`, `{data, meta:{page:{cursor}}}` (apis.md §3.5), or `{items}` etc. */
function readListPage(value, ...extraKeys) {
    if (Array.isArray(value))
        return { items: value.filter(json/* isObject */.Gv), cursor: undefined };
    if (!(0,json/* isObject */.Gv)(value))
        throw new json/* ShapeError */.ym('a list (a JSON array or {data: [...]})', value);
    let items;
    for (const key of ['data', 'items', 'results', ...extraKeys]) {
        const inner = value[key];
        if (Array.isArray(inner)) {
            items = inner;
            break;
        }
        if ((0,json/* isObject */.Gv)(inner)) {
            for (const nested of ['items', ...extraKeys])
                if (Array.isArray(inner[nested]))
                    items = inner[nested];
            if (items)
                break;
        }
    }
    if (!items)
        throw new json/* ShapeError */.ym('a list (a JSON array or {data: [...]})', value);
    let cursor;
    const meta = (0,json/* isObject */.Gv)(value.meta) ? value.meta : undefined;
    const holders = [meta, meta && (0,json/* isObject */.Gv)(meta.page) ? meta.page : undefined, meta && (0,json/* isObject */.Gv)(meta.pagination) ? meta.pagination : undefined, value];
    for (const holder of holders) {
        if (!holder)
            continue;
        for (const key of CURSOR_KEYS) {
            if (!(key in holder))
                continue;
            const v = holder[key];
            if (v === null || v === '' || v === false)
                cursor ??= null;
            else if (typeof v === 'string' || typeof v === 'number')
                cursor = String(v);
        }
        if (typeof cursor === 'string')
            break;
    }
    return { items: items.filter(json/* isObject */.Gv), cursor };
}
/** The id of a trigger's answer (apis.md §3.7), for each resource kind. */
function answerId(data, kind) {
    const inner = (0,json/* isObject */.Gv)(data.data) ? data.data : undefined;
    const nested = (holder, name) => (holder && (0,json/* isObject */.Gv)(holder[name]) ? holder[name] : undefined);
    const candidates = kind === 'job'
        ? [[nested(inner, 'job'), ['id', 'job_id']], [data, ['job_id', 'jobId']], [inner, ['id', 'job_id', 'jobId']], [nested(data, 'job'), ['id']], [data, ['id']]]
        : kind === 'backfill'
            ? [[nested(inner, 'backfill'), ['id', 'backfill_id']], [data, ['backfill_id', 'backfillId']], [inner, ['id', 'backfill_id']], [nested(data, 'backfill'), ['id']], [data, ['id']]]
            : [[data, ['runId', 'run_id']], [inner, ['id', 'runId', 'run_id']], [nested(inner, 'run'), ['id', 'runId']], [nested(data, 'run'), ['id']], [data, ['id']]];
    for (const [holder, names] of candidates) {
        if (!holder)
            continue;
        const id = api_text(holder, ...names);
        if (id !== null)
            return id;
    }
    return undefined;
}
function answerStatus(data, kind) {
    const inner = (0,json/* isObject */.Gv)(data.data) ? data.data : data;
    const object = kind === 'run' ? ((0,json/* isObject */.Gv)(inner.run) ? inner.run : inner) : (0,json/* isObject */.Gv)(inner[kind]) ? inner[kind] : inner;
    return api_text(object, 'status', 'state') ?? api_text(data, 'status') ?? undefined;
}
/** The run named by a 409 (vendor client: `existing_job_id`), anywhere in the body. */
function conflictOf(value, bodyText) {
    let data = value;
    if (data === undefined && bodyText.trim().startsWith('{')) {
        try {
            data = JSON.parse(bodyText);
        }
        catch {
            // not JSON: the text is the message
        }
    }
    if (!(0,json/* isObject */.Gv)(data))
        return { message: bodyText.trim().slice(0, 200) || 'already running' };
    const holders = [data, (0,json/* isObject */.Gv)(data.error) ? data.error : undefined, (0,json/* isObject */.Gv)(data.data) ? data.data : undefined];
    const fields = [
        ['job', ['existing_job_id', 'existingJobId']],
        ['backfill', ['existing_backfill_id', 'existingBackfillId']],
        ['run', ['existing_run_id', 'existingRunId']],
    ];
    let existingId;
    let existingKind;
    for (const holder of holders) {
        if (!holder || existingId)
            continue;
        for (const [kind, names] of fields) {
            const id = api_text(holder, ...names);
            if (id !== null) {
                existingId = id;
                existingKind = kind;
                break;
            }
        }
    }
    const error = data.error;
    const message = ((0,json/* isObject */.Gv)(error) ? api_text(error, 'message', 'detail') : (0,json/* str */.gx)(error)) ?? api_text(data, 'message', 'detail') ?? 'already running';
    return { ...(existingId !== undefined && { existingId, existingKind }), message };
}
function logKind(contentType) {
    if (/(^|[/+])(x-)?(ndjson|jsonl|jsonlines|json-seq)$/.test(contentType) || contentType === 'application/x-json-stream')
        return 'ndjson';
    if (contentType === 'application/json' || contentType.endsWith('+json'))
        return 'json';
    return 'text';
}
/** One structured log entry as one line: `time LEVEL [node] message`. */
function formatLogEntry(value) {
    if (typeof value === 'string')
        return value;
    if (!(0,json/* isObject */.Gv)(value))
        return JSON.stringify(value);
    const time = api_text(value, 'ts', 'timestamp', 'time', 'at', 'logTime', 'createdAt');
    const level = api_text(value, 'level', 'severity', 'lvl');
    const node = api_text(value, 'nodeId', 'node_id', 'node');
    const message = api_text(value, 'message', 'msg', 'line', 'text', 'log') ?? JSON.stringify(value);
    return [time, level, node ? `[${node}]` : null, message].filter((p) => p !== null).join(' ');
}
const URL_FIELDS = ['url', 'href', 'signedUrl', 'signed_url', 'downloadUrl', 'download_url', 'presignedUrl'];
function urlOf(value) {
    if (typeof value === 'string')
        return /^(https?:\/\/|\/)/i.test(value) ? value : undefined;
    if ((0,json/* isObject */.Gv)(value))
        return api_text(value, ...URL_FIELDS) ?? undefined;
    return undefined;
}
/** A JSON log answer: URLs to fetch, lines, and the cursor of the next read. */
function readLogJson(value) {
    const urls = [];
    const lines = [];
    const take = (items) => {
        for (const item of items) {
            const url = (0,json/* isObject */.Gv)(item) && URL_FIELDS.some((f) => f in item) ? urlOf(item) : undefined;
            if (url)
                urls.push(url);
            else
                lines.push(formatLogEntry(item));
        }
    };
    let cursor;
    if (Array.isArray(value))
        take(value);
    else if ((0,json/* isObject */.Gv)(value)) {
        const levels = [value, (0,json/* isObject */.Gv)(value.data) ? value.data : undefined];
        for (const level of levels) {
            if (!level)
                continue;
            for (const key of ['urls', 'links', 'files', 'parts', 'objects']) {
                const list = level[key];
                if (Array.isArray(list))
                    list.forEach((u) => (urlOf(u) ? urls.push(urlOf(u)) : undefined));
            }
            const single = api_text(level, ...URL_FIELDS);
            if (single)
                urls.push(single);
            for (const key of ['lines', 'entries', 'logs', 'items', 'data']) {
                const list = level[key];
                if (Array.isArray(list))
                    take(list);
                else if (typeof list === 'string' && key !== 'data')
                    list.split(/\r?\n/).forEach((l) => lines.push(l));
            }
        }
        const meta = (0,json/* isObject */.Gv)(value.meta) ? value.meta : undefined;
        for (const holder of [value, meta, (0,json/* isObject */.Gv)(value.data) ? value.data : undefined]) {
            if (!holder)
                continue;
            for (const key of ['nextCursor', 'next_cursor', 'cursor', 'nextSince', 'next_since']) {
                if (!(key in holder))
                    continue;
                const v = holder[key];
                if (typeof v === 'string' || typeof v === 'number')
                    cursor = String(v);
                else if (v === null)
                    cursor ??= null;
            }
        }
    }
    return { urls: [...new Set(urls)], lines, cursor };
}
async function* splitLines(body) {
    const decoder = new external_node_string_decoder_.StringDecoder('utf8');
    let rest = '';
    for await (const chunk of body) {
        rest += decoder.write(chunk);
        let index;
        while ((index = rest.indexOf('\n')) >= 0) {
            yield rest.slice(0, index).replace(/\r$/, '');
            rest = rest.slice(index + 1);
        }
    }
    rest += decoder.end();
    if (rest !== '')
        yield rest.replace(/\r$/, '');
}
async function readAll(body, limit) {
    const chunks = [];
    let size = 0;
    for await (const chunk of body) {
        chunks.push(chunk);
        size += chunk.length;
        if (size > limit)
            throw new Error(`the JSON log answer is larger than ${Math.round(limit / 1024 / 1024)} MB`);
    }
    return Buffer.concat(chunks).toString('utf8');
}
/** The stream with its first chunk already read (to tell a JSON array from an object). */
async function peek(body) {
    const iterator = body[Symbol.asyncIterator]();
    const head = await iterator.next();
    const firstChunk = head.done ? Buffer.alloc(0) : head.value;
    const rest = {
        [Symbol.asyncIterator]: () => {
            let sentFirst = false;
            return {
                next: async () => {
                    if (!sentFirst) {
                        sentFirst = true;
                        if (!head.done)
                            return { done: false, value: firstChunk };
                    }
                    return head.done ? { done: true, value: undefined } : iterator.next();
                },
                return: async () => {
                    await iterator.return?.();
                    return { done: true, value: undefined };
                },
            };
        },
    };
    return { first: firstChunk.toString('utf8').trimStart().charAt(0), body: rest };
}
function headerCursor(headers) {
    return headers['x-next-cursor'] ?? headers['x-log-cursor'] ?? headers['x-next-since'];
}
// ---------------------------------------------------------------------------------------------------------
const DISABLED = /orchestration[_ ]?api[_ ]?(is[_ ])?(disabled|not[_ ]enabled)|api[_ ](is[_ ])?(disabled|not[_ ]enabled)|enterprise|licen[cs]e/i;
/** "API disabled / not Enterprise" (403 or 404, apis.md §5 #28) as one clear line, never retried. */
function explainDisabled(error) {
    if (!(error instanceof http/* ApiError */.hD) || (error.status !== 403 && error.status !== 404))
        return error;
    const said = [error.problem?.code, error.problem?.title, error.problem?.detail].filter(Boolean).join(' ');
    if (!DISABLED.test(said))
        return error;
    return new PlanasonixError(`${error.message}. The Planasonix Orchestration API is disabled for this organization, or not part of its plan ` +
        '(it is an Enterprise feature): an organization admin enables it under Settings → Orchestration API (some tenants need a second admin to approve)');
}
class PlanasonixApi {
    http;
    origin;
    constructor(http, baseUrl) {
        this.http = http;
        try {
            this.origin = new URL(baseUrl).origin;
        }
        catch {
            this.origin = undefined;
        }
    }
    async call(options) {
        try {
            return await this.http.request(options);
        }
        catch (error) {
            throw explainDisabled(error);
        }
    }
    async stream(options) {
        try {
            return await this.http.stream(options);
        }
        catch (error) {
            throw explainDisabled(error);
        }
    }
    async getJson(path, query, phase, okStatuses) {
        return this.call({ method: 'GET', path, query, retry: 'safe', phase, expect: 'json', ...(okStatuses && { okStatuses }) });
    }
    /**
     * Every page of a list (up to `maxPages`): follows the cursor when the answer carries one, else `offset`.
     * The list is complete when the server says it ended: a null or missing-after-cursor cursor, an empty
     * page, or (offset paging) a page shorter than the one before it or than `limit`. A page cap below our
     * `limit` is allowed for (apis.md §3.5 names no maximum): a full page is one as long as the first page.
     * Incomplete: the page bound was reached, a cursor repeated, or a page added nothing new (a server that
     * ignores both cursor and offset).
     */
    async list(path, query, phase, parse, idOf, maxPages) {
        const seen = new Map();
        let cursor;
        let offset = 0;
        let pageSize = PAGE_SIZE;
        for (let page = 0; page < maxPages; page++) {
            const q = { ...query, limit: PAGE_SIZE, ...(cursor !== undefined ? { cursor } : page > 0 ? { offset } : {}) };
            const response = await this.getJson(path, q, phase);
            const { items, cursor: next } = readListPage(response.data, 'jobs', 'runs', 'nodes');
            const done = (complete, incomplete) => ({
                items: [...seen.values()],
                complete,
                pages: page + 1,
                ...(incomplete !== undefined && { incomplete }),
            });
            if (items.length === 0)
                return done(true);
            let added = 0;
            for (const raw of items) {
                const item = parse(raw);
                if (item === undefined)
                    continue;
                if (!seen.has(idOf(item)))
                    added++;
                seen.set(idOf(item), item);
            }
            if (added === 0)
                return done(false, `page ${page + 1} repeated items already read (the server ignored the paging)`);
            if (next !== undefined) {
                if (next === null)
                    return done(true);
                if (next === cursor)
                    return done(false, `the server handed out the same cursor twice`);
                cursor = next;
            }
            else {
                if (page === 0)
                    pageSize = Math.min(PAGE_SIZE, items.length);
                if (items.length < pageSize)
                    return done(true);
                offset += items.length;
            }
        }
        return { items: [...seen.values()], complete: false, pages: maxPages, incomplete: `the list goes on past ${maxPages} pages (the most read)` };
    }
    // ----- triggers ---------------------------------------------------------------------------------------
    /**
     * A trigger POST with its idempotency key in the `Idempotency-Key` header AND the body (harmless, and a
     * server that honours either returns the original job). `retry: 'unsafe'`: the header name is undocumented
     * and the body field is seen only in the vendor client for syncs (apis.md §3.5, §5 #24), so a server may
     * ignore both: a POST that may have been applied is never sent again here. The error says
     * `mayHaveApplied`, and the engine looks for a run carrying our key before it sends anything again.
     */
    async trigger(path, body, key, kind) {
        const response = await this.call({
            method: 'POST',
            path,
            json: body,
            headers: { 'Idempotency-Key': key },
            retry: 'unsafe',
            phase: 'trigger',
            expect: 'json',
            okStatuses: [409],
        });
        if (response.status === 409)
            return { kind: 'conflict', ...conflictOf(response.data, response.text) };
        const data = response.data;
        if ((0,json/* isObject */.Gv)(data) && (data.success === false || data.success === 'false')) {
            return { kind: 'refused', message: api_text(data, 'message', 'error', 'detail') ?? ((0,json/* isObject */.Gv)(data.error) ? api_text(data.error, 'message') : null) ?? 'no reason given' };
        }
        if (!(0,json/* isObject */.Gv)(data))
            return { kind: 'accepted', httpStatus: response.status };
        const id = answerId(data, kind);
        const status = answerStatus(data, kind);
        return { kind: 'accepted', httpStatus: response.status, ...(id !== undefined && { id }), ...(status !== undefined && { status }) };
    }
    /** POST /api/v1/connections/{id}/sync */
    triggerSync(connectionId, body, key) {
        return this.trigger(`${V1}/connections/${enc(connectionId)}/sync`, body, key, 'job');
    }
    /** POST /api/v1/connections/{id}/backfill */
    triggerBackfill(connectionId, body, key) {
        return this.trigger(`${V1}/connections/${enc(connectionId)}/backfill`, body, key, 'backfill');
    }
    /** POST /api/pipelines/{id}/run */
    triggerRun(pipelineId, body, key) {
        return this.trigger(`${REST}/pipelines/${enc(pipelineId)}/run`, body, key, 'run');
    }
    // ----- jobs -------------------------------------------------------------------------------------------
    /** GET /api/v1/jobs/{id}: flat, `{data: job}` or `{data: {job}}`. */
    async getJob(id, phase) {
        const response = await this.getJson(`${V1}/jobs/${enc(id)}`, {}, phase);
        const job = unwrapParsed(response.data, 'job', parseJob);
        if (!job)
            throw new json/* ShapeError */.ym('a job object with an id', response.data);
        return job;
    }
    /** GET /api/v1/jobs/{id}/results: e.g. `{"summary": {"total_rows_synced": 1000}}` (vendor client test). */
    async jobResults(id, phase) {
        const response = await this.getJson(`${V1}/jobs/${enc(id)}/results`, {}, phase);
        const root = unwrap(response.data, 'results') ?? {};
        const summary = (0,json/* isObject */.Gv)(root.summary) ? root.summary : root;
        const streams = (0,json/* pick */.Up)(summary, 'streams', 'tables');
        return {
            totalRowsSynced: count(summary, 'total_rows_synced', 'totalRowsSynced', 'rows_synced', 'rowsSynced'),
            streams: Array.isArray(streams)
                ? streams.filter(json/* isObject */.Gv).map((s) => ({ name: api_text(s, 'name', 'stream', 'table') ?? '?', rows: count(s, 'rows_synced', 'rowsSynced', 'rows') }))
                : [],
        };
    }
    /** GET /api/v1/jobs?connection_id=…&status=… (limit/offset; some deployments send a cursor). */
    async listJobs(query, phase, maxPages = MAX_PAGES) {
        return (await this.listJobsAll(query, phase, maxPages)).items;
    }
    /** The same, saying whether every page was read. */
    listJobsAll(query, phase, maxPages = MAX_PAGES) {
        return this.list(`${V1}/jobs`, query, phase, parseJob, (j) => j.id, maxPages);
    }
    /** POST /api/v1/jobs/{id}/cancel: cancelling twice is harmless, so a lost answer is sent again. */
    cancelJob(id) {
        return this.cancel({ method: 'POST', path: `${V1}/jobs/${enc(id)}/cancel` });
    }
    async cancel(target) {
        const response = await this.call({ ...target, retry: 'safe', phase: 'cancel', expect: 'json', okStatuses: [400, 404, 409, 422] });
        const data = response.data;
        const message = (0,json/* isObject */.Gv)(data)
            ? (((0,json/* isObject */.Gv)(data.error) ? api_text(data.error, 'message') : api_text(data, 'error')) ?? api_text(data, 'message', 'detail'))
            : response.text.trim().slice(0, 200) || null;
        if (response.status >= 400)
            return { kind: 'refused', httpStatus: response.status, message: message ?? `answered ${response.status}` };
        return { kind: 'accepted', httpStatus: response.status, ...(message !== null && { message }) };
    }
    // ----- backfills --------------------------------------------------------------------------------------
    /**
     * GET /api/v1/backfills/{id}. A GUESS (apis.md §3.2, §5 #25: the doc shows only a "List all backfills"
     * heading; the status path is unknown). Undefined on 404, so the caller can say so.
     */
    async getBackfill(id, phase) {
        const response = await this.getJson(`${V1}/backfills/${enc(id)}`, {}, phase, [404]);
        if (response.status === 404)
            return undefined;
        const backfill = unwrapParsed(response.data, 'backfill', parseBackfill);
        if (!backfill)
            throw new json/* ShapeError */.ym('a backfill object with an id', response.data);
        return backfill;
    }
    // ----- runs -------------------------------------------------------------------------------------------
    /** GET /api/runs/{id}; undefined on 404 (the caller falls back to execution-status). */
    async getRun(id, phase) {
        const response = await this.getJson(`${REST}/runs/${enc(id)}`, {}, phase, [404]);
        if (response.status === 404)
            return undefined;
        const run = unwrapParsed(response.data, 'run', parseRun);
        if (!run)
            throw new json/* ShapeError */.ym('a run object with an id', response.data);
        return run;
    }
    /** GET /api/pipelines/{id}/execution-status: the run in flight, or the last one; undefined on 404. */
    async executionStatus(pipelineId, phase) {
        const response = await this.getJson(`${REST}/pipelines/${enc(pipelineId)}/execution-status`, {}, phase, [404]);
        if (response.status === 404)
            return undefined;
        let o = unwrap(response.data, 'run');
        if (o && (0,json/* isObject */.Gv)((0,json/* pick */.Up)(o, 'currentRun', 'current_run', 'lastRun', 'last_run'))) {
            o = (0,json/* pick */.Up)(o, 'currentRun', 'current_run', 'lastRun', 'last_run');
        }
        if (!o)
            return { runId: null, status: null, startedAt: null, finishedAt: null, endField: null };
        return {
            runId: api_text(o, 'runId', 'run_id', 'id'),
            status: api_text(o, 'status', 'state'),
            startedAt: api_text(o, ...START_FIELDS),
            ...endOf(o),
        };
    }
    /** GET /api/pipelines/{id}/runs (limit, cursor; a bare array per the MCP server). */
    async pipelineRuns(pipelineId, phase, maxPages = MAX_PAGES) {
        return (await this.pipelineRunsAll(pipelineId, phase, maxPages)).items;
    }
    /** The same, saying whether every page was read. */
    pipelineRunsAll(pipelineId, phase, maxPages = MAX_PAGES) {
        return this.list(`${REST}/pipelines/${enc(pipelineId)}/runs`, {}, phase, parseRun, (r) => r.id, maxPages);
    }
    /** GET /api/runs/{id}/nodes; undefined on 404. */
    async runNodes(runId, phase) {
        const response = await this.getJson(`${REST}/runs/${enc(runId)}/nodes`, { limit: 100 }, phase, [404]);
        if (response.status === 404)
            return undefined;
        const { items } = readListPage(response.data, 'nodes');
        return items.map(parseNode).filter((n) => n !== undefined);
    }
    /** DELETE /api/runs/{id} (doc): 409 or 400 on a finished run. */
    cancelRun(id) {
        return this.cancel({ method: 'DELETE', path: `${REST}/runs/${enc(id)}` });
    }
    /**
     * GET /api/runs/{id}/logs?nodeId=…&since=…, line by line, whatever the deployment sends (apis.md §3.6):
     * text/plain chunks, NDJSON, or JSON (lines, or URLs to object storage). URLs on another origin are
     * fetched WITHOUT the key. Continues with `since` while the server hands out a cursor and lines come.
     */
    async *runLog(runId, nodeId) {
        let since;
        for (let page = 0; page < MAX_LOG_PAGES; page++) {
            const answer = {};
            let lines = 0;
            for await (const line of this.runLogPage(runId, nodeId, since, answer)) {
                lines++;
                yield line;
            }
            const next = answer.next;
            if (next === undefined || next === null || next === since || lines === 0)
                return;
            since = next;
        }
    }
    /**
     * One answer of GET /api/runs/{id}/logs with `since` (a server cursor or an ISO time), line by line; the
     * cursor the answer handed out (header `X-Next-Cursor` or the like, or the JSON's) is left in `answer.next`
     * (undefined: none given; null: the server said there is no next).
     */
    async *runLogPage(runId, nodeId, since, answer) {
        const response = await this.stream({
            method: 'GET',
            path: `${REST}/runs/${enc(runId)}/logs`,
            query: { nodeId, since },
            retry: 'safe',
            phase: 'logs',
        });
        answer.next = headerCursor(response.headers);
        const kind = logKind(response.contentType);
        if (kind === 'json') {
            const { first, body } = await peek(response.body);
            if (first === '[') {
                for await (const item of (0,json_stream/* jsonArrayItems */.U)(body)) {
                    const url = (0,json/* isObject */.Gv)(item) && URL_FIELDS.some((f) => f in item) ? urlOf(item) : undefined;
                    if (url)
                        yield* this.logObject(url);
                    else
                        yield formatLogEntry(item);
                }
                return;
            }
            const raw = await readAll(body, JSON_LOG_LIMIT);
            let parsed;
            try {
                parsed = raw.trim() === '' ? [] : JSON.parse(raw);
            }
            catch {
                parsed = raw.split(/\r?\n/);
            }
            const log = readLogJson(parsed);
            if (log.cursor !== undefined)
                answer.next = log.cursor;
            for (const url of log.urls)
                yield* this.logObject(url);
            yield* log.lines;
            return;
        }
        yield* linesOf(kind, response.body);
    }
    /** One log object: another origin gets no key (`auth: false`), whatever the HTTP client would do. */
    async *logObject(url) {
        let target;
        try {
            target = this.origin ? new URL(url, this.origin) : new URL(url);
        }
        catch {
            throw new PlanasonixError(`the log answer holds an invalid URL`);
        }
        const sameOrigin = this.origin !== undefined && target.origin === this.origin;
        const response = await this.stream({ method: 'GET', path: target.href, retry: 'safe', phase: 'logs', auth: sameOrigin });
        const kind = logKind(response.contentType);
        if (kind === 'json') {
            const log = readLogJson(JSON.parse(await readAll(response.body, JSON_LOG_LIMIT)));
            yield* log.lines;
            return;
        }
        yield* linesOf(kind, response.body);
    }
}
async function* linesOf(kind, body) {
    for await (const line of splitLines(body)) {
        if (kind !== 'ndjson') {
            yield line;
            continue;
        }
        if (line.trim() === '')
            continue;
        let value;
        try {
            value = JSON.parse(line);
        }
        catch {
            value = line;
        }
        yield formatLogEntry(value);
    }
}
function unwrapParsed(value, inner, parse) {
    const o = unwrap(value, inner);
    return o ? parse(o) : undefined;
}

;// CONCATENATED MODULE: ./lib/providers/planasonix/live.js
/**
 * Live logs of Planasonix pipeline runs (`logs: live`): GET /api/runs/{id}/logs is incremental with `since`,
 * an ISO time or a log cursor (apis.md §3.3, §3.6), in all three formats (text, NDJSON, JSON with URLs).
 *
 * One request per read (plus the objects a JSON answer points to). The cursor keeps the server's cursor when
 * it hands one out; otherwise the time of the last line handed over and how many lines carried that time,
 * and the read asks `since` one millisecond earlier and skips those (a server may count `since` as "after"
 * or "from", and several lines may share a time); with neither, the count of lines handed over (the log is
 * read from its start and that many are skipped).
 */

function plxCursor(cursor) {
    if (cursor && cursor.v === 1 && typeof cursor.n === 'number' && Array.isArray(cursor.said)) {
        return { ...cursor, said: [...cursor.said] };
    }
    return { v: 1, n: 0, said: [] };
}
/** A leading ISO time (`2026-03-15T08:31:02.120Z …`), as text and layouts of structured entries start. */
const LEADING_TIME = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s/;
/** `time LEVEL [node] …` (formatLogEntry, and the text format): the node a line belongs to. */
const NODE = /^\S+\s+[A-Za-z]+\s+\[([^\]\s]{1,200})\]/;
function timeOf(line) {
    const match = LEADING_TIME.exec(line);
    if (!match)
        return undefined;
    const text = match[1];
    const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
    return Number.isNaN(ms) ? undefined : { text, ms };
}
/**
 * One live read of a run's log. `page(since, answer)` is one request (PlanasonixApi.runLogPage); `mask` is
 * the log file's masker. A read that fails is a note; the cursor keeps what was handed over before it.
 */
async function readRunLog(page, from, run, mask, emit) {
    const cursor = { ...from, said: [...from.said] };
    let since;
    // What to skip at the start of the answer: nothing with the server's cursor; lines before (and the first
    // k at) the last time with a time; the first n lines without either.
    let skipBefore;
    let skipAtTime = 0;
    let skipCount = 0;
    if (from.c !== undefined)
        since = from.c;
    else if (from.t !== undefined) {
        const at = timeOf(`${from.t} `);
        since = new Date(at.ms - 1).toISOString();
        skipBefore = at.ms;
        skipAtTime = from.k ?? 0;
    }
    else
        skipCount = from.n;
    const answer = {};
    let lines = 0;
    try {
        for await (const raw of page(since, answer)) {
            if (skipCount > 0) {
                skipCount--;
                continue;
            }
            const time = timeOf(raw);
            if (skipBefore !== undefined && time !== undefined) {
                if (time.ms < skipBefore)
                    continue;
                if (time.ms === skipBefore && skipAtTime > 0) {
                    skipAtTime--;
                    continue;
                }
                skipBefore = undefined;
            }
            const node = NODE.exec(raw)?.[1];
            const source = node ? { id: `run/${run.id}/node/${node}`, label: `${run.label} › node ${node}` } : { id: `run/${run.id}`, label: run.label };
            for (const text of (0,untrusted/* splitLines */.uz)(mask(raw))) {
                const drained = emit({ source: source.id, label: source.label, text });
                if (drained)
                    await drained;
            }
            lines++;
            cursor.n++;
            if (time) {
                if (cursor.t !== undefined && timeOf(`${cursor.t} `)?.ms === time.ms)
                    cursor.k = (cursor.k ?? 0) + 1;
                else {
                    cursor.t = time.text;
                    cursor.k = 1;
                }
            }
        }
    }
    catch (error) {
        // The server's cursor of a broken answer is unknown: go on from the last time (or count) handed over.
        delete cursor.c;
        const reason = error instanceof Error ? error.message : String(error);
        return { cursor, lines, note: `the log of ${run.label} could not be read (${reason}); the next read resumes after line ${cursor.n}` };
    }
    if (typeof answer.next === 'string' && answer.next !== '')
        cursor.c = answer.next;
    // No cursor this time (or "none"): the old one would hand these lines over again; go on by time or count.
    else if (lines > 0)
        delete cursor.c;
    return { cursor, lines };
}

;// CONCATENATED MODULE: ./lib/providers/planasonix/provider.js
/**
 * Planasonix: trigger a connection sync, a backfill or a pipeline run; follow the job, backfill or run the
 * trigger answered with; explain failures (the job's error, the run's error, failing nodes and their logs);
 * cancel on timeout, CI cancellation and fail-fast.
 *
 * Every trigger carries an idempotency key, in the `Idempotency-Key` header AND the body field
 * `idempotency_key`, and in its `metadata` (with the CI run it came from). Planasonix does not document
 * idempotency for what we send (apis.md §3.5: the header name is unknown; the body field is seen only in the
 * vendor client, for syncs), so a server may ignore the key and start a second load on a resend. A trigger
 * that may have been applied is therefore never sent again blindly (the engine looks first):
 * the engine first looks (`find`) for a job or run carrying this step's key, and adopts only such a one
 * (`adoption: 'own-marker'`); a run without our marker is never taken for ours. The key is unique per
 * invocation of the step and the same on every resend within it (see `idempotencyKeyFor`).
 */






/**
 * Planasonix status words (apis.md §3.4), one table for jobs, backfills, runs and nodes. Both cancel
 * spellings everywhere. `cancelling`/`canceling`: a cancel was requested and the run has not ended
 * (cooperative cancellation), so it is still running. Any other word is in progress until the run has an
 * end time, and a failure once it has one.
 */
const PLANASONIX_STATUS = {
    succeeded: ['completed', 'succeeded', 'success'],
    failed: ['failed', 'error'],
    cancelled: ['cancelled', 'canceled'],
    queued: ['queued', 'pending'],
    running: ['running', 'cancelling', 'canceling'],
};
const TRIGGERED_BY = 'orchestration-run';
const WHAT = { job: 'sync job', backfill: 'backfill', run: 'pipeline run' };
/** Detail reads per `find` of new runs whose list entry shows no key (run lists carry no metadata). */
const DETAIL_READS_PER_LOOK = 10;
/** Consecutive 404s of the (guessed) backfill status path before following gives up. */
const BACKFILL_404_LIMIT = 3;
function hash(...parts) {
    return (0,external_node_crypto_.createHash)('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 12);
}
function keyPart(value) {
    return value.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64);
}
/** What the trigger asks for, so two different requests of one CI run never share a key. */
function requestFingerprint(spec) {
    switch (spec.kind) {
        case 'sync':
            return JSON.stringify(['sync', spec.connection, spec.syncType, spec.priority, spec.tables]);
        case 'backfill':
            return JSON.stringify(['backfill', spec.connection, spec.start, spec.end, spec.priority, spec.tables]);
        default:
            return JSON.stringify(['pipeline', spec.pipeline, spec.parameters]);
    }
}
/**
 * The idempotency key of one target, unique per invocation of the step and the same on every resend within
 * it (apis.md §3.5: "derive the key from the CI run id, the attempt and the target, and reuse it on every
 * retry"; issue 12: two invocations in one CI job must each start their own load):
 * - the `idempotency-key` input as given when the step has one target; with several targets each gets
 *   `<input>-<hash of the target>`, so two targets never share a key (a server that replays by key alone
 *   would otherwise answer every target with the first target's job);
 * - else, when the CI names the step (GitHub: job and GITHUB_ACTION; Azure: job and task instance),
 *   `orun-<ci>-<run id>-<attempt>-<hash of repository, step, target and request>`: a re-run of the CI job
 *   (new attempt) triggers again, and two steps of one run asking for the same load each get their own;
 * - else, with a CI run id but no step id (GitLab, Jenkins, CircleCI through the CLI), the same plus this
 *   invocation's random nonce: `orun-<ci>-<run id>-<attempt>-<nonce>-<hash>`, so a second invocation in the
 *   same CI job is never answered with the first one's job;
 * - else (no CI run id: a local CLI run) `orun-local-<nonce>-<hash>`.
 * `stepNonce` is random per invocation (per provider instance). At most 255 printable ASCII characters.
 */
function idempotencyKeyFor(settings, ci, spec, stepNonce) {
    const target = hash(spec.label, requestFingerprint(spec));
    if (settings.idempotencyKey) {
        return settings.targets.length > 1 ? `${settings.idempotencyKey.slice(0, 240)}-${target}` : settings.idempotencyKey;
    }
    const nonce = keyPart(stepNonce).replace(/-/g, '').slice(0, 16);
    if (ci.runId) {
        const base = `orun-${keyPart(ci.system)}-${keyPart(ci.runId)}-${keyPart(ci.attempt ?? '1')}`;
        const tail = hash(ci.repository ?? '', ci.runUrl ?? '', ci.step ?? '', spec.label, requestFingerprint(spec));
        return ci.step ? `${base}-${tail}` : `${base}-${nonce}-${tail}`;
    }
    return `orun-local-${nonce}-${target}`;
}
/** Traceability (product spec): the CI run URL, commit, actor and workflow, as `metadata`. */
function metadataFor(ci, label, key) {
    const metadata = { triggered_by: TRIGGERED_BY, ci_system: ci.system, target: label, idempotency_key: key };
    const add = (name, value) => {
        if (value)
            metadata[name] = value;
    };
    add('ci_run_url', ci.runUrl);
    add('ci_run_id', ci.runId);
    add('ci_run_attempt', ci.attempt);
    add('ci_step', ci.step);
    add('commit', ci.commit);
    add('actor', ci.actor);
    add('workflow', ci.workflow);
    add('repository', ci.repository);
    return metadata;
}
const OFFSET = /(z|[+-]\d\d:?\d\d)$/i;
/** An ISO time that carries an offset (`Z`, `+02:00`), as epoch ms; undefined otherwise (apis.md §5 #32). */
function absoluteMs(time) {
    if (!time || !OFFSET.test(time.trim()))
        return undefined;
    const ms = Date.parse(time);
    return Number.isNaN(ms) ? undefined : ms;
}
/**
 * A server timestamp as a number to compare with others OF THE SAME LIST: epoch ms when it carries an
 * offset; without one, its wall-clock text read as if it were UTC (never in this machine's zone), which
 * orders times of one server consistently. Undefined when missing or unreadable.
 */
function sortableMs(time) {
    if (!time)
        return undefined;
    const trimmed = time.trim();
    const ms = Date.parse(OFFSET.test(trimmed) ? trimmed : `${trimmed.replace(' ', 'T')}Z`);
    return Number.isNaN(ms) ? undefined : ms;
}
/** The end proof of an observation: the end time as the platform gave it, with its field name. */
function endText(field, finishedAt) {
    return finishedAt ? `${field ?? 'end'} ${finishedAt}` : undefined;
}
function seconds(start, end, given) {
    if (given !== null)
        return given;
    if (!start || !end)
        return undefined;
    const a = Date.parse(start);
    const b = Date.parse(end);
    return Number.isNaN(a) || Number.isNaN(b) || b < a ? undefined : Math.round((b - a) / 1000);
}
/**
 * Rows done, for progress lines. The engine prints a line whenever the progress text changes, so while a run
 * is in flight the count is rounded down on a 1-2-5 scale ("20000+ rows"): a few lines per order of
 * magnitude, never one per poll. Once it ended, the exact count.
 */
function rowsText(rows, ended, verb) {
    if (ended)
        return `${rows} rows ${verb}`;
    if (rows < 1000)
        return `under 1000 rows ${verb}`;
    const magnitude = 10 ** Math.floor(Math.log10(rows));
    const step = [5, 2, 1].find((m) => rows >= m * magnitude);
    return `${step * magnitude}+ rows ${verb}`;
}
/** Backfill progress in steps of 10%, for the same reason. */
function percentText(percent, ended) {
    return `backfill ${ended ? Math.round(percent) : Math.floor(percent / 10) * 10}%`;
}
function stateOf(status, finishedAt) {
    return (0,outcome/* normalizeStatus */.SP)(PLANASONIX_STATUS, status, finishedAt !== null);
}
/** Queued, running, or an unknown word without an end time (in progress until it ends, apis.md §3.4). */
function inProgress(status, finishedAt) {
    return status !== null && !(0,outcome/* isTerminal */.Hd)(stateOf(status, finishedAt));
}
/** When an item was created (or else started), comparable within its list; +∞ without either (still queued). */
function provider_timeOf(item) {
    return sortableMs(item.createdAt) ?? sortableMs(item.startedAt) ?? Number.POSITIVE_INFINITY;
}
/**
 * Newest first by the server's timestamps (creation, else start; the list order is undocumented, so it is
 * never used, apis.md §3.5); an item without either (still queued) counts as the newest.
 */
function newestFirst(items) {
    return items
        .map((item, index) => ({ item, index, at: provider_timeOf(item) }))
        .sort((a, b) => (a.at === b.at ? a.index - b.index : b.at > a.at ? 1 : -1))
        .map((x) => x.item);
}
/**
 * The latest item of a whole list, by the server's timestamps, never by list position. Items that share
 * the newest time (or several without any time) cannot be ordered: the one that did not succeed is taken,
 * so the check is green only if all of them succeeded. Also says how it was picked.
 */
function latestOf(items, what) {
    if (items.length === 0)
        return undefined;
    const newest = Math.max(...items.map(provider_timeOf));
    const tied = items.filter((i) => provider_timeOf(i) === newest);
    const item = tied.find((i) => stateOf(i.status, i.finishedAt) !== 'succeeded') ?? tied[0];
    const field = item.createdAt ? 'creation time' : item.startedAt ? 'start time' : undefined;
    const zoned = items.every((i) => absoluteMs(i.createdAt ?? i.startedAt) !== undefined || (!i.createdAt && !i.startedAt));
    let how = field
        ? `the latest ${what} picked by its ${field} (${zoned ? 'ISO with offset' : 'server times without offset, compared within this one list'}), not by list position`
        : `the latest ${what} has no creation or start time yet (still queued), so it is the newest`;
    if (tied.length > 1)
        how += `; ${tied.length} ${what}s share the newest time, so the check takes the worst of them`;
    return { item, how };
}
/** The complete-history proof of a list read for mode check. */
function historyProof(list, what, how) {
    if (!list.complete) {
        return { ok: false, detail: `the ${what} list could not be read whole: ${list.incomplete ?? 'it did not end'} (read ${list.pages} pages, ${list.items.length} ${what}s); without every page the latest ${what} cannot be told` };
    }
    return { ok: true, detail: `read every page of the ${what} list (${list.pages} page${list.pages === 1 ? '' : 's'}, ${list.items.length} ${what}s); ${how}` };
}
class PlanasonixProvider {
    platform = 'planasonix';
    statusTable = PLANASONIX_STATUS;
    /** A run is ours only if it carries this step's idempotency key (top-level or in its metadata). */
    adoption = 'own-marker';
    timeNote = 'Times are as Planasonix reports them (ISO 8601).';
    api;
    settings;
    ci;
    log;
    /**
     * Random per step invocation (kept by the engine in the saved state, so a GitHub post step derives the same
     * key and recognises the run of a trigger that was in flight): part of the key when the CI names no step.
     */
    stepNonce;
    conflicts = new Map();
    backfill404 = new Map();
    /** Ids of new jobs or runs whose detail was read and that do not carry this step's key (per target). */
    notOurs = new Map();
    clock;
    signal;
    http;
    constructor(deps) {
        this.http = deps.http;
        this.api = new PlanasonixApi(deps.http, deps.settings.baseUrl);
        this.settings = deps.settings;
        this.ci = deps.ciContext;
        this.stepNonce = deps.ciContext.invocation ?? (0,external_node_crypto_.randomUUID)();
        this.log = deps.log;
        this.clock = deps.clock;
        this.signal = deps.signal;
    }
    // --- resolve ---------------------------------------------------------------------------------
    async resolve(spec) {
        if (spec.platform !== 'planasonix')
            throw new Error(`not a Planasonix target: ${spec.label}`);
        // Ids only (no name lookup is documented for connections or pipelines): a wrong id is the trigger's 404.
        const idempotencyKey = idempotencyKeyFor(this.settings, this.ci, spec, this.stepNonce);
        switch (spec.kind) {
            case 'sync':
                return { kind: 'sync', spec, label: spec.label, idempotencyKey };
            case 'backfill':
                return { kind: 'backfill', spec, label: spec.label, idempotencyKey };
            default:
                return { kind: 'pipeline', spec, label: spec.label, idempotencyKey };
        }
    }
    handleKind(target) {
        return target.kind === 'sync' ? 'job' : target.kind === 'backfill' ? 'backfill' : 'run';
    }
    handle(kind, id) {
        return { kind, runId: id };
    }
    // --- in flight, baseline ---------------------------------------------------------------------
    async inFlight(target) {
        const remembered = await this.rememberedConflict(target);
        if (remembered)
            return remembered;
        if (target.kind === 'sync') {
            const connection = target.spec.connection;
            const found = [];
            for (const status of ['running', 'queued']) {
                const jobs = await this.api.listJobs({ connection_id: connection, status }, 'baseline', 2);
                found.push(...jobs.filter((j) => (j.connectionId === null || j.connectionId === connection) && inProgress(j.status, j.finishedAt)));
            }
            if (found.length === 0)
                return undefined;
            const running = found.find((j) => stateOf(j.status, j.finishedAt) === 'running') ?? newestFirst(found)[0];
            return { handle: this.handle('job', running.id), description: `sync job ${running.id} of connection ${connection} is ${running.status}` };
        }
        if (target.kind === 'pipeline') {
            const pipeline = target.spec.pipeline;
            const status = await this.api.executionStatus(pipeline, 'baseline');
            if (status) {
                if (status.runId && inProgress(status.status, status.finishedAt)) {
                    return { handle: this.handle('run', status.runId), description: `run ${status.runId} of pipeline ${pipeline} is ${status.status}` };
                }
                return undefined;
            }
            const runs = (await this.api.pipelineRuns(pipeline, 'baseline')).filter((r) => inProgress(r.status, r.finishedAt));
            const run = newestFirst(runs)[0];
            return run ? { handle: this.handle('run', run.id), description: `run ${run.id} of pipeline ${pipeline} is ${run.status}` } : undefined;
        }
        // Backfills: no list or status-by-connection path is documented (apis.md §5 #25); a 409 is remembered.
        return undefined;
    }
    /** What an earlier 409 of this step named, while it is still in flight. */
    async rememberedConflict(target) {
        const conflict = this.conflicts.get(target.label);
        if (!conflict)
            return undefined;
        if (!conflict.id || !conflict.kind) {
            if (conflict.waited) {
                this.conflicts.delete(target.label);
                return undefined;
            }
            conflict.waited = true;
            return { description: 'the last trigger answered 409 (already running) without naming the run' };
        }
        const handle = this.handle(conflict.kind, conflict.id);
        let observation;
        try {
            observation = await this.observeHandle(target, handle, 'baseline');
        }
        catch (error) {
            // The named run cannot be read (gone, or never readable): it no longer holds the trigger back.
            if (!(error instanceof http/* ApiError */.hD) || error.status !== 404)
                throw error;
            this.conflicts.delete(target.label);
            return undefined;
        }
        if ((0,outcome/* isTerminal */.Hd)(observation.state)) {
            this.conflicts.delete(target.label);
            return undefined;
        }
        const description = `${WHAT[conflict.kind]} ${conflict.id} is ${observation.rawStatus || observation.state}`;
        // Only a run of the same kind can be followed in place of ours (a sync job is not the backfill asked for).
        return conflict.kind === this.handleKind(target) ? { handle, description } : { description };
    }
    /**
     * The ids listed before the trigger (every page, bounded): a job or run not among them is new. A new one is
     * still adopted only when it carries this step's key (see `find`).
     */
    async baseline(target) {
        try {
            if (target.kind === 'sync') {
                const jobs = await this.api.listJobs({ connection_id: target.spec.connection }, 'baseline');
                return { ids: new Set(jobs.map((j) => j.id)) };
            }
            if (target.kind === 'pipeline') {
                return { ids: new Set((await this.api.pipelineRuns(target.spec.pipeline, 'baseline')).map((r) => r.id)) };
            }
        }
        catch (error) {
            // Only needed when the trigger answer carries no id (or is lost); a missing list is no reason to stop.
            if (!(error instanceof http/* ApiError */.hD) || ![404, 405, 501].includes(error.status ?? 0))
                throw error;
            this.log.debug(`${target.label}: no baseline (${error.message})`);
        }
        return { ids: undefined };
    }
    // --- trigger ---------------------------------------------------------------------------------
    triggerBody(target) {
        const metadata = metadataFor(this.ci, target.label, target.idempotencyKey);
        switch (target.kind) {
            case 'sync': {
                const { syncType, priority, tables } = target.spec;
                return {
                    sync_type: syncType,
                    priority,
                    ...(tables.length > 0 && { streams: tables }),
                    metadata,
                    idempotency_key: target.idempotencyKey,
                };
            }
            case 'backfill': {
                const { start, end, tables, priority } = target.spec;
                return { start_at: start, end_at: end, tables, priority, metadata, idempotency_key: target.idempotencyKey };
            }
            default:
                return { parameters: target.spec.parameters, metadata, idempotency_key: target.idempotencyKey };
        }
    }
    async trigger(target) {
        const body = this.triggerBody(target);
        const key = target.idempotencyKey;
        const kind = this.handleKind(target);
        let answer;
        try {
            answer =
                target.kind === 'sync'
                    ? await this.api.triggerSync(target.spec.connection, body, key)
                    : target.kind === 'backfill'
                        ? await this.api.triggerBackfill(target.spec.connection, body, key)
                        : await this.api.triggerRun(target.spec.pipeline, body, key);
        }
        catch (error) {
            // The answer was lost after the server may have acted on it. Syncs and pipeline runs: the engine looks
            // for a job or run carrying our key (`find`) before it sends anything again. Backfills cannot be
            // listed (apis.md §5 #25), so whether one started cannot be told: never sent again, a clear failure.
            if (target.kind === 'backfill' && error instanceof http/* ApiError */.hD && error.mayHaveApplied && error.kind !== 'aborted' && !this.signal.aborted) {
                throw new PlanasonixError(`the backfill trigger's answer was lost (${error.message}); the server may have started it. Planasonix lists no backfills, so ` +
                    'whether it did cannot be told, and it is not sent again (that could start a second backfill). Check the Planasonix app before running the step again');
            }
            throw error;
        }
        if (answer.kind === 'refused') {
            throw new PlanasonixError(`Planasonix refused to start ${WHAT[kind]} of ${target.label}: ${answer.message}`);
        }
        if (answer.kind === 'conflict') {
            const named = answer.existingId !== undefined ? this.handle(answer.existingKind ?? kind, answer.existingId) : undefined;
            // Our own trigger, sent again after a lost answer to a server that ignores idempotency keys: it
            // answers 409 naming the job the first attempt started. It carries our key: follow it.
            if (named && named.kind === kind && (await this.carriesOurKey(named, target))) {
                this.conflicts.delete(target.label);
                return {
                    kind: 'accepted',
                    handle: named,
                    note: `the trigger answered 409 naming ${WHAT[kind]} ${named.runId}, which carries this step's idempotency key: it is the one this step started`,
                };
            }
            this.conflicts.set(target.label, { ...(named && { id: named.runId, kind: named.kind }), waited: false });
            const what = named ? `; ${WHAT[named.kind]} ${named.runId} is in flight` : '';
            return {
                kind: 'already-running',
                ...(named && named.kind === kind && { handle: named }),
                message: `already running: Planasonix answered 409 (${answer.message})${what}`,
            };
        }
        this.conflicts.delete(target.label);
        if (answer.id === undefined) {
            return { kind: 'accepted', note: `the trigger was accepted but its answer carried no ${WHAT[kind]} id` };
        }
        // 200 where a new job answers 202: the server may have returned an earlier job for this key.
        const replay = kind !== 'run' && answer.httpStatus === 200
            ? `the server answered 200 (not 202): ${WHAT[kind]} ${answer.id} may be one it had already started for idempotency key ${key}`
            : undefined;
        return { kind: 'accepted', handle: this.handle(kind, answer.id), ...(replay && { note: replay }) };
    }
    async carriesOurKey(handle, target) {
        try {
            if (handle.kind === 'job')
                return (await this.api.getJob(handle.runId, 'trigger')).idempotencyKey === target.idempotencyKey;
            if (handle.kind === 'backfill')
                return (await this.api.getBackfill(handle.runId, 'trigger'))?.idempotencyKey === target.idempotencyKey;
            return (await this.api.getRun(handle.runId, 'trigger'))?.idempotencyKey === target.idempotencyKey;
        }
        catch (error) {
            this.log.debug(`${target.label}: could not read ${WHAT[handle.kind]} ${handle.runId}: ${error instanceof Error ? error.message : String(error)}`);
            return false;
        }
    }
    /**
     * The job or run this step's trigger started, when its answer carried no id (apis.md §3.7 #4) or was lost:
     * among the connection's jobs or the pipeline's runs that were not in the baseline, only one carrying this
     * step's idempotency key (top-level or in its metadata) is ours (`adoption: 'own-marker'`; the parameters of
     * other runs may differ). A list entry without the key is read in detail (run lists carry no metadata).
     * A new run that carries no marker is reported, never adopted. Two carrying our key (a resend the server
     * did not dedupe): both are followed.
     */
    async find(target, baseline) {
        if (target.kind === 'backfill') {
            return { kind: 'pending', reason: 'Planasonix lists no backfills: a backfill is known only by the id in its trigger answer' };
        }
        if (baseline.ids === undefined) {
            return { kind: 'pending', reason: `the ${target.kind === 'sync' ? 'job' : 'run'} list could not be read before the trigger, so no new one can be told` };
        }
        const known = baseline.ids;
        const kind = this.handleKind(target);
        const what = target.kind === 'sync' ? 'job' : 'run';
        let fresh;
        try {
            fresh =
                target.kind === 'sync'
                    ? (await this.api.listJobs({ connection_id: target.spec.connection }, 'find')).filter((j) => !known.has(j.id) && (j.connectionId === null || j.connectionId === target.spec.connection))
                    : (await this.api.pipelineRuns(target.spec.pipeline, 'find')).filter((r) => !known.has(r.id));
        }
        catch (error) {
            if (!(error instanceof http/* ApiError */.hD) || ![404, 405, 501].includes(error.status ?? 0))
                throw error;
            return { kind: 'pending', reason: `the ${what} list cannot be read (${error.message})` };
        }
        if (fresh.length === 0)
            return { kind: 'pending', reason: `no new ${what} is listed yet` };
        const notOurs = this.notOurs.get(target.label) ?? new Set();
        this.notOurs.set(target.label, notOurs);
        const ours = [];
        let reads = 0;
        for (const listed of newestFirst(fresh)) {
            if (notOurs.has(listed.id))
                continue;
            let item = listed;
            if (listed.idempotencyKey === null) {
                if (reads >= DETAIL_READS_PER_LOOK)
                    continue;
                reads++;
                item = target.kind === 'sync' ? await this.readJobOrUndefined(listed.id) : await this.api.getRun(listed.id, 'find');
                // Unreadable now (e.g. a 404 just after listing): looked at again on the next call.
                if (!item)
                    continue;
            }
            if (item.idempotencyKey === target.idempotencyKey)
                ours.push({ id: listed.id, field: item.keyField ?? 'idempotency_key' });
            else
                notOurs.add(listed.id);
        }
        if (ours.length === 0) {
            const others = fresh.filter((f) => notOurs.has(f.id)).map((f) => f.id);
            return {
                kind: 'pending',
                reason: others.length > 0
                    ? `new ${what}${others.length > 1 ? 's' : ''} ${others.slice(0, 5).join(', ')} appeared, but ${others.length > 1 ? 'none carries' : 'it does not carry'} this step's idempotency key or metadata: not adopted`
                    : `a new ${what} is listed, but whether it carries this step's idempotency key cannot be read yet`,
            };
        }
        const [first, ...rest] = ours;
        const identity = `it carries this step's idempotency key (${first.field})` + (rest.length > 0 ? `; ${rest.length + 1} ${what}s carry it` : '');
        return { kind: 'found', handle: this.handle(kind, first.id), identity, ...(rest.length > 0 && { others: rest.map((r) => this.handle(kind, r.id)) }) };
    }
    async readJobOrUndefined(id) {
        try {
            return await this.api.getJob(id, 'find');
        }
        catch (error) {
            if (error instanceof http/* ApiError */.hD && error.status === 404)
                return undefined;
            throw error;
        }
    }
    // --- observe ---------------------------------------------------------------------------------
    async observe(target, handle) {
        return this.observeHandle(target, handle, 'follow');
    }
    async observeHandle(target, handle, phase) {
        if (handle.kind === 'job') {
            const job = await this.api.getJob(handle.runId, phase);
            const observation = this.jobObservation(job);
            if (observation.state === 'succeeded' && phase === 'follow') {
                // The rows synced, from the results (vendor client); a failure here only loses that detail.
                try {
                    const results = await this.api.jobResults(job.id, phase);
                    if (results.totalRowsSynced !== null)
                        observation.progress = `${results.totalRowsSynced} rows synced`;
                }
                catch (error) {
                    this.log.debug(`${target.label}: no results for job ${job.id}: ${error instanceof Error ? error.message : String(error)}`);
                }
            }
            return observation;
        }
        if (handle.kind === 'backfill')
            return this.observeBackfill(handle.runId, phase);
        return this.observeRun(target, handle.runId, phase);
    }
    jobObservation(job) {
        const state = stateOf(job.status, job.finishedAt);
        return {
            state,
            rawStatus: job.status ?? '',
            ...(job.startedAt && { startedAt: job.startedAt }),
            ...(job.finishedAt && { finishedAt: job.finishedAt }),
            ...(job.finishedAt && { end: endText(job.endField, job.finishedAt) }),
            ...(seconds(job.startedAt, job.finishedAt, job.durationSeconds) !== undefined && {
                durationSeconds: seconds(job.startedAt, job.finishedAt, job.durationSeconds),
            }),
            ...(job.rowsSynced !== null && { progress: rowsText(job.rowsSynced, (0,outcome/* isTerminal */.Hd)(state), 'synced') }),
        };
    }
    async observeBackfill(id, phase) {
        const backfill = await this.api.getBackfill(id, phase);
        if (!backfill) {
            const misses = (this.backfill404.get(id) ?? 0) + 1;
            this.backfill404.set(id, misses);
            if (misses >= BACKFILL_404_LIMIT) {
                throw new PlanasonixError(`GET /api/v1/backfills/${id} answered 404 ${misses} times: Planasonix documents no backfill status path, and this deployment ` +
                    `does not serve the one we guess. The backfill was started (id ${id}); follow it in the Planasonix app, or use mode: trigger for backfills`);
            }
            return { state: 'unknown', rawStatus: '', progress: `backfill ${id} is not readable yet (404)` };
        }
        this.backfill404.delete(id);
        return this.backfillObservation(backfill);
    }
    backfillObservation(backfill) {
        const parts = [];
        const state = stateOf(backfill.status, backfill.finishedAt);
        // progress_percent is progress, never a status (apis.md §3.4).
        if (backfill.progressPercent !== null)
            parts.push(percentText(backfill.progressPercent, (0,outcome/* isTerminal */.Hd)(state)));
        if (backfill.internalJobs.length > 0) {
            const done = backfill.internalJobs.filter((j) => stateOf(j.status, null) === 'succeeded').length;
            parts.push(`${done} of ${backfill.internalJobs.length} internal jobs completed`);
        }
        return {
            state,
            rawStatus: backfill.status ?? '',
            ...(backfill.startedAt && { startedAt: backfill.startedAt }),
            ...(backfill.finishedAt && { finishedAt: backfill.finishedAt }),
            ...(backfill.finishedAt && { end: endText(backfill.endField, backfill.finishedAt) }),
            ...(seconds(backfill.startedAt, backfill.finishedAt, null) !== undefined && { durationSeconds: seconds(backfill.startedAt, backfill.finishedAt, null) }),
            ...(parts.length > 0 && { progress: parts.join(', ') }),
        };
    }
    runObservation(run) {
        const state = stateOf(run.status, run.finishedAt);
        return {
            state,
            rawStatus: run.status ?? '',
            ...(run.startedAt && { startedAt: run.startedAt }),
            ...(run.finishedAt && { finishedAt: run.finishedAt }),
            ...(run.finishedAt && { end: endText(run.endField, run.finishedAt) }),
            ...(seconds(run.startedAt, run.finishedAt, run.durationSeconds) !== undefined && {
                durationSeconds: seconds(run.startedAt, run.finishedAt, run.durationSeconds),
            }),
            ...(run.rowsWritten !== null && { progress: rowsText(run.rowsWritten, (0,outcome/* isTerminal */.Hd)(state), 'written') }),
        };
    }
    /**
     * GET /api/runs/{id}; when it answers 404, the pipeline's execution-status, then its runs list, but only
     * for OUR run id: another run's status is never taken for ours.
     */
    async observeRun(target, id, phase) {
        const run = await this.readRun(target, id, phase);
        if (run)
            return this.runObservation(run);
        return { state: 'unknown', rawStatus: '', progress: `run ${id} is not readable (GET /api/runs/${id} answered 404, and the pipeline does not show it)` };
    }
    async readRun(target, id, phase) {
        const run = await this.api.getRun(id, phase);
        if (run || target.kind !== 'pipeline')
            return run;
        const pipeline = target.spec.pipeline;
        const status = await this.api.executionStatus(pipeline, phase);
        if (status && status.runId === id) {
            return {
                id,
                pipelineId: pipeline,
                status: status.status,
                createdAt: null,
                startedAt: status.startedAt,
                finishedAt: status.finishedAt,
                durationSeconds: null,
                rowsRead: null,
                rowsWritten: null,
                errorMessage: null,
                errorCode: null,
                errorStack: null,
                errorNode: null,
                idempotencyKey: null,
                keyField: null,
                endField: status.endField,
            };
        }
        return (await this.api.pipelineRuns(pipeline, phase)).find((r) => r.id === id);
    }
    // --- failures --------------------------------------------------------------------------------
    async failures(target, handle, observation, sink, options) {
        if (handle.kind === 'job')
            return [await this.jobFailure(target, handle.runId, sink, options)];
        if (handle.kind === 'backfill')
            return [await this.backfillFailure(target, handle.runId, sink, options)];
        return this.runFailures(target, handle.runId, observation, sink, options);
    }
    async jobFailure(target, id, sink, options) {
        const job = await this.api.getJob(id, 'logs');
        const task = {
            name: `sync job ${job.id}`,
            type: 'sync job',
            id: job.id,
            status: job.status ?? '(no status)',
            ...(job.startedAt && { startedAt: job.startedAt }),
            ...(job.finishedAt && { finishedAt: job.finishedAt }),
            logExcerpt: [],
            errorLines: job.errorMessage ? [job.errorMessage] : [],
        };
        if (!options.fetchLogs) {
            task.logNote = 'details were not fetched (logs: never)';
            return task;
        }
        const log = sink.open(`${target.label} sync job ${job.id}: ${task.status}`);
        if (job.errorMessage)
            log.write(`ERROR ${job.errorCode ? `[${job.errorCode}] ` : ''}${job.errorMessage}`);
        if (job.rowsSynced !== null)
            log.write(`rows synced: ${job.rowsSynced}`);
        try {
            const results = await this.api.jobResults(job.id, 'logs');
            if (results.totalRowsSynced !== null)
                log.write(`results: ${results.totalRowsSynced} rows synced in total`);
            for (const stream of results.streams)
                log.write(`results: ${stream.name}: ${stream.rows ?? '?'} rows`);
        }
        catch (error) {
            this.log.debug(`${target.label}: no results for job ${job.id}: ${error instanceof Error ? error.message : String(error)}`);
        }
        this.finishTask(task, log.finish(), job.errorMessage, `Planasonix keeps no log for sync jobs; its status is ${task.status} and it gave no error message`);
        return task;
    }
    async backfillFailure(target, id, sink, options) {
        const backfill = await this.api.getBackfill(id, 'logs');
        const task = {
            name: `backfill ${id}`,
            type: 'backfill',
            id,
            status: backfill?.status ?? '(unknown)',
            ...(backfill?.startedAt && { startedAt: backfill.startedAt }),
            ...(backfill?.finishedAt && { finishedAt: backfill.finishedAt }),
            logExcerpt: [],
            errorLines: backfill?.errorMessage ? [backfill.errorMessage] : [],
        };
        if (!backfill) {
            task.logNote = 'the backfill could not be read (404)';
            return task;
        }
        if (!options.fetchLogs) {
            task.logNote = 'details were not fetched (logs: never)';
            return task;
        }
        const log = sink.open(`${target.label} backfill ${id}: ${task.status}`);
        if (backfill.errorMessage)
            log.write(`ERROR ${backfill.errorCode ? `[${backfill.errorCode}] ` : ''}${backfill.errorMessage}`);
        if (backfill.progressPercent !== null)
            log.write(`progress: ${backfill.progressPercent}%`);
        for (const job of backfill.internalJobs)
            log.write(`internal job ${job.id}: ${job.status ?? '?'}`);
        this.finishTask(task, log.finish(), backfill.errorMessage, `Planasonix keeps no log for backfills; its status is ${task.status} and it gave no error message`);
        return task;
    }
    /**
     * The run's error (message + optional stack reference), its failing nodes (state, retries, rows) and their
     * logs. The run's error goes with the node it names (or the first failing node); without failing nodes,
     * the run itself is reported with the whole run log.
     */
    async runFailures(target, id, observation, sink, options) {
        const run = await this.readRun(target, id, 'logs');
        const nodes = (await this.api.runNodes(id, 'logs')) ?? [];
        const succeeded = observation.state === 'succeeded';
        // With logs: always on a succeeded run, every node is shown; otherwise the nodes that did not succeed.
        const wanted = succeeded
            ? nodes
            : nodes.filter((n) => {
                const state = stateOf(n.state, n.finishedAt);
                return state === 'failed' || state === 'cancelled' || n.id === run?.errorNode;
            });
        if (wanted.length === 0)
            return [await this.runTask(target, id, run, observation, sink, options)];
        const primary = wanted.find((n) => n.id === run?.errorNode) ?? wanted.find((n) => stateOf(n.state, n.finishedAt) !== 'succeeded');
        const tasks = [];
        for (const node of wanted)
            tasks.push(await this.nodeTask(target, id, node, node === primary ? run : undefined, sink, options));
        return tasks;
    }
    /** The run as one entry, with its error and the whole run log (no node to attribute them to). */
    async runTask(target, id, run, observation, sink, options) {
        const task = {
            name: `run ${id}`,
            type: 'pipeline run',
            id,
            status: run?.status ?? (observation.rawStatus || '(no status)'),
            ...(run?.startedAt && { startedAt: run.startedAt }),
            ...(run?.finishedAt && { finishedAt: run.finishedAt }),
            logExcerpt: [],
            errorLines: run?.errorMessage ? [run.errorMessage] : [],
        };
        if (!options.fetchLogs) {
            task.logNote = 'logs were not fetched (logs: never)';
            return task;
        }
        const log = sink.open(`${target.label} run ${id}: ${task.status}`);
        this.writeRunError(run, log);
        const cut = await this.copyLog(id, undefined, log);
        this.finishTask(task, log.finish(), run?.errorMessage ?? null, 'the run log is empty');
        if (cut)
            this.noteCut(task, cut, sink);
        return task;
    }
    writeRunError(run, log) {
        if (run?.errorMessage)
            log.write(`ERROR ${run.errorCode ? `[${run.errorCode}] ` : ''}${run.errorMessage}`);
        if (run?.errorStack)
            log.write(`stack reference: ${run.errorStack}`);
    }
    async nodeTask(target, runId, node, run, sink, options) {
        const facts = [
            node.retries !== null ? `${node.retries} retries` : undefined,
            node.rowsRead !== null ? `${node.rowsRead} rows read` : undefined,
            node.rowsWritten !== null ? `${node.rowsWritten} rows written` : undefined,
        ].filter((f) => f !== undefined);
        const errorMessage = run?.errorMessage ?? null;
        const task = {
            name: node.name,
            type: 'node',
            id: node.id,
            status: node.state ?? '(no state)',
            ...(node.startedAt && { startedAt: node.startedAt }),
            ...(node.finishedAt && { finishedAt: node.finishedAt }),
            logExcerpt: [],
            errorLines: errorMessage ? [errorMessage] : [],
        };
        if (!options.fetchLogs) {
            task.logNote = `logs were not fetched (logs: never)${facts.length ? `; ${facts.join(', ')}` : ''}`;
            return task;
        }
        const log = sink.open(`${target.label} run ${runId} › node ${node.name} (${node.id}): ${task.status}${facts.length ? ` — ${facts.join(', ')}` : ''}`);
        this.writeRunError(run, log);
        const cut = await this.copyLog(runId, node.id, log);
        this.finishTask(task, log.finish(), errorMessage, `the node's log is empty${facts.length ? `; ${facts.join(', ')}` : ''}`);
        if (cut)
            this.noteCut(task, cut, sink);
        return task;
    }
    /** Streams a run's (or node's) log into the sink; returns why it stopped early, if it did. */
    async copyLog(runId, nodeId, log) {
        let lines = 0;
        try {
            for await (const line of this.api.runLog(runId, nodeId)) {
                log.write(line);
                lines++;
            }
            return undefined;
        }
        catch (error) {
            return { reason: error instanceof Error ? error.message : String(error), lines };
        }
    }
    noteCut(task, cut, sink) {
        task.logNote = cut.lines > 0 ? `the log was cut off after ${cut.lines} lines: ${cut.reason}` : `the log could not be fetched: ${cut.reason}`;
        sink.note(`(${task.logNote})`);
    }
    finishTask(task, summary, errorMessage, emptyNote) {
        task.logExcerpt = summary.excerpt;
        task.logLineCount = summary.count;
        if (!errorMessage)
            task.errorLines = summary.errorLines;
        else if (!summary.errorLines.some((l) => l.includes(errorMessage)))
            task.errorLines = [errorMessage, ...summary.errorLines].slice(0, 5);
        else
            task.errorLines = summary.errorLines;
        if (summary.count === 0)
            task.logNote = emptyNote;
    }
    // --- live logs -------------------------------------------------------------------------------
    /**
     * Live logs of a pipeline run: one GET /api/runs/{id}/logs per read, from where the last one stopped (see
     * live.ts), while the run runs and once more after it ended (then it is done). Sync jobs and backfills
     * have no log endpoint: said once (their error message comes with the failure details).
     */
    async liveLog(target, handle, observation, from, line) {
        const cursor = plxCursor(from);
        if (handle.kind !== 'run') {
            const once = `nolog:${handle.kind}`;
            if (cursor.said.includes(once))
                return { cursor, lines: 0, notes: [] };
            cursor.said.push(once);
            const what = handle.kind === 'job' ? 'sync jobs' : 'backfills';
            return { cursor, lines: 0, notes: [`${target.label}: Planasonix ${what} have no log endpoint (only pipeline runs do); the job's error message is shown if it fails`] };
        }
        if (cursor.done || observation.state === 'queued')
            return { cursor, lines: 0, notes: [] };
        this.liveMask ??= (0,untrusted/* secretMasker */.c8)([this.settings.apiKey]);
        const read = await readRunLog((since, answer) => this.api.runLogPage(handle.runId, undefined, since, answer), cursor, { id: handle.runId, label: `${target.label} run ${handle.runId}` }, this.liveMask, line);
        if (read.note === undefined && (0,outcome/* isTerminal */.Hd)(observation.state))
            read.cursor.done = true;
        // The only note of a pipeline run's read is a failed read: a warning.
        return { cursor: read.cursor, lines: read.lines, notes: [], warnings: read.note ? [read.note] : [] };
    }
    /** The log file's masker (the same key), for live log lines. */
    liveMask;
    // --- cancel ----------------------------------------------------------------------------------
    /**
     * Jobs: POST /api/v1/jobs/{id}/cancel; runs: DELETE /api/runs/{id}. Cooperative: the engine then reads
     * the run until it ends, and reports what really happened (cancelled, completed or failed).
     */
    async cancel(target, handle) {
        const what = `${WHAT[handle.kind]} ${handle.runId}`;
        if (handle.kind === 'backfill') {
            return {
                requested: false,
                accepted: false,
                note: `Planasonix documents no way to cancel a backfill: ${what} keeps going on the server (stop it in the Planasonix app)`,
            };
        }
        const answer = handle.kind === 'job' ? await this.api.cancelJob(handle.runId) : await this.api.cancelRun(handle.runId);
        if (answer.kind === 'accepted') {
            return {
                requested: true,
                accepted: true,
                note: `cancel of ${what} accepted (${answer.httpStatus}); Planasonix cancels cooperatively: the ${WHAT[handle.kind]} may finish its ` +
                    'current batch and can still end completed or failed. Whatever it ends as, this step does not pass: it did not finish in time, or was cancelled',
            };
        }
        // 409/400: it had already ended (apis.md §3.6). Say how, so the report is true.
        let final = '';
        try {
            const observation = await this.observeHandle(target, handle, 'follow');
            final = `; it ended ${observation.rawStatus || observation.state}`;
        }
        catch {
            // the note stays without the final state
        }
        const why = answer.httpStatus === 404 ? 'was not found' : 'had already ended';
        return { requested: true, accepted: false, note: `cancel of ${what} refused (${answer.httpStatus}: ${answer.message}): it ${why}${final}` };
    }
    // --- wait, check -------------------------------------------------------------------------------
    async handleFor(target, runId) {
        const id = runId.trim();
        if (!id || /\s/.test(id))
            throw new PlanasonixError(`run-id '${runId}' is not a Planasonix ${WHAT[this.handleKind(target)]} id (e.g. job_8f2a…, run_…)`);
        return this.handle(this.handleKind(target), id);
    }
    /**
     * The latest job of the connection or run of the pipeline (mode check): every page of the list (up to
     * MAX_PAGES), the latest picked by the server's timestamps, never by list position (the order of the lists
     * is undocumented, apis.md §3.5). A list that could not be read whole fails the complete-history proof.
     */
    async latest(target) {
        if (target.kind === 'backfill') {
            throw new PlanasonixError('mode check cannot gate on a backfill: Planasonix documents no backfill list to find the latest one in');
        }
        if (target.kind === 'sync') {
            const list = await this.api.listJobsAll({ connection_id: target.spec.connection }, 'check', MAX_PAGES);
            const jobs = list.items.filter((j) => j.connectionId === null || j.connectionId === target.spec.connection);
            const picked = latestOf(jobs, 'job');
            if (!picked)
                return list.complete ? undefined : this.unreadable(list, 'job');
            const history = historyProof({ ...list, items: jobs }, 'job', picked.how);
            return this.latestRun(this.handle('job', picked.item.id), this.jobObservation(picked.item), picked.item.finishedAt, history);
        }
        const list = await this.api.pipelineRunsAll(target.spec.pipeline, 'check', MAX_PAGES);
        const picked = latestOf(list.items, 'run');
        if (!picked)
            return list.complete ? undefined : this.unreadable(list, 'run');
        return this.latestRun(this.handle('run', picked.item.id), this.runObservation(picked.item), picked.item.finishedAt, historyProof(list, 'run', picked.how));
    }
    unreadable(list, what) {
        throw new PlanasonixError(`the ${what} list could not be read whole: ${list.incomplete ?? 'it did not end'}`);
    }
    latestRun(handle, observation, finishedAt, history) {
        const end = absoluteMs(finishedAt);
        // The age on the platform's own clock (its Date header), not this machine's.
        const now = this.http.serverNow() ?? this.clock.now();
        return { handle, observation, history, ...(end !== undefined && { ageMs: Math.max(0, now - end) }) };
    }
}
const planasonixModule = {
    platform: 'planasonix',
    authHeaders: (apiKey) => ({ Authorization: `Bearer ${apiKey}` }),
    create: (deps) => new PlanasonixProvider(deps),
};


/***/ }),

/***/ 3412:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  QARION_STATUS: () => (/* binding */ QARION_STATUS),
  QARION_TASK_NOT_A_FAILURE: () => (/* binding */ QARION_TASK_NOT_A_FAILURE),
  QarionProvider: () => (/* binding */ QarionProvider),
  membersProof: () => (/* binding */ membersProof),
  qarionModule: () => (/* binding */ qarionModule)
});

// EXTERNAL MODULE: ./lib/core/http/index.js + 7 modules
var http = __webpack_require__(6416);
// EXTERNAL MODULE: ./lib/core/names.js
var names = __webpack_require__(6599);
// EXTERNAL MODULE: ./lib/core/text.js
var core_text = __webpack_require__(9716);
// EXTERNAL MODULE: ./lib/core/outcome.js
var outcome = __webpack_require__(1307);
// EXTERNAL MODULE: ./lib/core/json.js
var json = __webpack_require__(3085);
;// CONCATENATED MODULE: ./lib/providers/qarion/api.js

const API_PREFIX = '/api/v1.0';
/** Page size we ask for: the documented maximum; larger sizes would be capped silently anyway. */
const PAGE_SIZE = 100;
const DEFAULT_MAX_PAGES = 50;
const enc = encodeURIComponent;
// ---------------------------------------------------------------------------------------------------------
// Parsing (field aliases per apis.md §2.3)
function api_text(o, ...names) {
    const value = (0,json/* pick */.Up)(o, ...names);
    return (0,json/* str */.gx)(value);
}
/** A status word: a string, or null/absent. */
function word(o, ...names) {
    for (const name of names) {
        const value = o[name];
        if (typeof value === 'string')
            return value;
        if (value !== undefined && value !== null)
            return (0,json/* str */.gx)(value) ?? null;
    }
    return null;
}
/** The first of `names` that holds a text value, with the name it was found under. */
function namedText(o, ...names) {
    for (const name of names) {
        const value = (0,json/* str */.gx)(o[name]);
        if (value !== undefined)
            return { name, value };
    }
    return undefined;
}
function errorTextOf(o) {
    for (const name of ['error_message', 'error', 'failure_reason', 'message', 'note']) {
        const value = o[name];
        if (typeof value === 'string' && value.trim())
            return value;
        if ((0,json/* isObject */.Gv)(value)) {
            const inner = (0,json/* str */.gx)(value.message) ?? (0,json/* str */.gx)(value.detail);
            if (inner?.trim())
                return inner;
        }
    }
    return undefined;
}
function metadataOf(o) {
    const meta = (0,json/* pick */.Up)(o, 'provider_metadata', 'providerMetadata', 'metadata');
    return (0,json/* isObject */.Gv)(meta) ? meta : {};
}
function parsePipeline(o) {
    const id = api_text(o, 'id', 'pipeline_id', 'uuid');
    if (id === undefined)
        return undefined;
    const meta = metadataOf(o);
    const connector = o.connector;
    const status = api_text(o, 'status');
    const pausedFlag = (0,json/* pick */.Up)(meta, 'is_paused', 'paused') ?? (0,json/* pick */.Up)(o, 'is_paused', 'paused');
    return {
        id,
        name: api_text(o, 'name', 'display_name', 'dag_id') ?? id,
        dagId: api_text(meta, 'dag_id') ?? api_text(o, 'dag_id'),
        provider: api_text(o, 'provider'),
        status,
        connectorId: api_text(o, 'connector_id', 'source_connector_id') ?? ((0,json/* isObject */.Gv)(connector) ? api_text(connector, 'id') : undefined),
        paused: pausedFlag === true || status?.toLowerCase() === 'paused',
        airflowUrl: api_text(meta, 'airflow_url', 'web_url', 'ui_url', 'base_url') ?? api_text(o, 'airflow_url'),
    };
}
function parseRunSummary(o) {
    const id = api_text(o, 'id', 'run_id', 'uuid');
    if (id === undefined)
        return undefined;
    const meta = metadataOf(o);
    const end = namedText(o, 'ended_at', 'end_date', 'finished_at', 'endedAt', 'finishedAt');
    return {
        id,
        pipelineId: api_text(o, 'pipeline_id', 'pipelineId'),
        status: word(o, 'status', 'state'),
        runType: api_text(o, 'run_type', 'runType', 'type'),
        startedAt: api_text(o, 'started_at', 'start_date', 'startedAt'),
        endedAt: end?.value,
        endedAtField: end?.name,
        queuedAt: api_text(o, 'queued_at', 'created_at', 'queuedAt', 'createdAt'),
        durationSeconds: (0,json/* num */.bu)((0,json/* pick */.Up)(o, 'duration_seconds', 'duration')),
        providerRunId: api_text(o, 'provider_run_id', 'dag_run_id', 'external_id') ?? api_text(meta, 'dag_run_id', 'run_id'),
        dagId: api_text(meta, 'dag_id') ?? api_text(o, 'dag_id'),
        errorText: errorTextOf(o) ?? errorTextOf(meta),
    };
}
function parseTaskRun(o) {
    return {
        id: api_text(o, 'id', 'task_run_id', 'uuid'),
        taskId: api_text(o, 'task_id', 'taskId', 'name', 'task_display_name') ?? '(unnamed task)',
        status: word(o, 'status', 'state'),
        tryNumber: (0,json/* num */.bu)((0,json/* pick */.Up)(o, 'try_number', 'tryNumber', 'attempt')),
        startedAt: api_text(o, 'started_at', 'start_date', 'startedAt'),
        endedAt: api_text(o, 'ended_at', 'end_date', 'finished_at', 'endedAt'),
        errorText: errorTextOf(o),
    };
}
function parseRunDetail(o) {
    const summary = parseRunSummary(o);
    if (!summary)
        return undefined;
    const raw = (0,json/* pick */.Up)(o, 'task_runs', 'tasks', 'taskRuns', 'task_instances');
    const list = (0,json/* listOf */.c3)(raw) ?? [];
    return { ...summary, taskRuns: list.filter(json/* isObject */.Gv).map(parseTaskRun) };
}
/** Any 2xx body: empty, a Qarion run, an Airflow DAG run, `{run_id}`, `{data: {id}}` (apis.md §2.6 step 5). */
function parseTriggerAnswer(httpStatus, body) {
    if (!body.replace(/^\ufeff/, '').trim())
        return { httpStatus, body: 'empty' };
    let data;
    try {
        data = JSON.parse(body.replace(/^\ufeff/, ''));
    }
    catch {
        return { httpStatus, body: 'text' };
    }
    const answer = { httpStatus, body: 'json' };
    if (!(0,json/* isObject */.Gv)(data))
        return answer;
    const inner = (0,json/* isObject */.Gv)(data.data) ? data.data : (0,json/* isObject */.Gv)(data.run) ? data.run : undefined;
    answer.runId = api_text(data, 'run_id', 'id', 'uuid') ?? (inner ? api_text(inner, 'id', 'run_id', 'uuid') : undefined);
    answer.providerRunId =
        api_text(data, 'dag_run_id', 'provider_run_id', 'external_id') ?? (inner ? api_text(inner, 'dag_run_id', 'provider_run_id', 'external_id') : undefined);
    answer.status = api_text(data, 'status', 'state') ?? (inner ? api_text(inner, 'status', 'state') : undefined);
    if (answer.runId !== undefined && answer.runId === answer.providerRunId)
        delete answer.runId;
    return answer;
}
function parseComment(o) {
    return { id: api_text(o, 'id', 'comment_id', 'uuid'), content: api_text(o, 'content', 'body', 'text', 'comment', 'message') };
}
function dateHeader(response) {
    const raw = response.headers['date'];
    if (!raw)
        return undefined;
    const ms = Date.parse(raw);
    return Number.isNaN(ms) ? undefined : ms;
}
function pageOf(response, what, parse) {
    const data = response.data;
    const list = (0,json/* listOf */.c3)(data, 'items', 'data', 'results');
    if (!list)
        throw new json/* ShapeError */.ym(`${what} (a JSON array, or an object with items)`, data);
    const items = [];
    for (const item of list) {
        if (!(0,json/* isObject */.Gv)(item))
            continue;
        const parsed = parse(item);
        if (parsed !== undefined)
            items.push(parsed);
    }
    const envelope = (0,json/* isObject */.Gv)(data) ? data : {};
    const page = { items };
    const total = (0,json/* num */.bu)(envelope.total) ?? (0,json/* num */.bu)(response.headers['x-total-count']) ?? (0,json/* num */.bu)(response.headers['x-total']);
    if (total !== undefined)
        page.total = total;
    // The server's own page number and size (it caps size silently): envelope, else headers (names guessed).
    const p = (0,json/* num */.bu)(envelope.page) ?? (0,json/* num */.bu)(response.headers['x-page']);
    if (p !== undefined)
        page.page = p;
    const size = (0,json/* num */.bu)(envelope.size) ?? (0,json/* num */.bu)(response.headers['x-page-size']) ?? (0,json/* num */.bu)(response.headers['x-per-page']);
    if (size !== undefined)
        page.size = size;
    const date = dateHeader(response);
    if (date !== undefined)
        page.serverDateMs = date;
    return page;
}
// ---------------------------------------------------------------------------------------------------------
class QarionApi {
    http;
    /** '/api/v1.0', or '' when the base URL already ends with it. */
    prefix;
    constructor(http, baseUrl) {
        this.http = http;
        let path = '';
        try {
            path = new URL(baseUrl).pathname.replace(/\/+$/, '');
        }
        catch {
            // The HTTP client reports a bad base URL on the first request.
        }
        this.prefix = /\/api\/v1\.0$/i.test(path) ? '' : API_PREFIX;
    }
    orch(space, rest) {
        return `${this.prefix}/spaces/${enc(space)}/orchestration${rest}`;
    }
    get(path, query, phase, okStatuses) {
        return this.http.request({ method: 'GET', path, query, retry: 'safe', phase, expect: 'json', ...(okStatuses && { okStatuses }) });
    }
    /**
     * Reads every page. Stops when a page is empty, when `page*size >= total` (or everything counted is in),
     * or when a page adds nothing new (a server ignoring `page`). Never on "fewer than the size I asked for":
     * the server caps `size` silently (apis.md §2.5).
     */
    async allPages(read, keyOf, maxPages = DEFAULT_MAX_PAGES) {
        const seen = new Map();
        let serverDateMs;
        let total;
        const done = (pages, incomplete) => ({
            items: [...seen.values()],
            serverDateMs,
            truncated: false,
            pages,
            ...(incomplete !== undefined && { incomplete }),
        });
        for (let page = 1; page <= maxPages; page++) {
            const result = await read({ page, size: PAGE_SIZE });
            serverDateMs = result.serverDateMs ?? serverDateMs;
            total = result.total ?? total;
            const short = () => (total !== undefined && seen.size < total ? `the server counts ${total} items, its pages gave ${seen.size}` : undefined);
            if (result.items.length === 0)
                return done(page, short());
            let added = 0;
            for (const item of result.items) {
                const key = keyOf(item);
                if (!seen.has(key))
                    added++;
                seen.set(key, item);
            }
            if (added === 0) {
                // A server ignoring `page`: with a total we know whether everything came; without one we cannot.
                return done(page, total === undefined ? `page ${page} repeated items already read, and the server gave no total` : short());
            }
            if (result.total !== undefined) {
                // page*size only with the size the server says it used: the size we asked for may have been capped.
                const pastTheEnd = result.size !== undefined && (result.page ?? page) * result.size >= result.total;
                if (seen.size >= result.total || pastTheEnd)
                    return done(page, short());
            }
        }
        return { items: [...seen.values()], serverDateMs, truncated: true, pages: maxPages, incomplete: `more than ${maxPages} pages (the bound)` };
    }
    // ----- pipelines ------------------------------------------------------------------------------------
    /** GET /spaces/{slug}/orchestration/pipelines (one page). */
    async listPipelines(space, filters, paging, phase = 'resolve') {
        const response = await this.get(this.orch(space, '/pipelines'), { ...filters, ...paging }, phase);
        return pageOf(response, 'a pipeline list', parsePipeline);
    }
    async allPipelines(space, filters, phase = 'resolve') {
        return this.allPages((paging) => this.listPipelines(space, filters, paging, phase), (p) => p.id);
    }
    /**
     * GET /spaces/{slug}/orchestration/pipelines/{pipeline_id}. With `missingOk`, 404 (no such id) and 422 (not
     * an id at all: FastAPI validating a UUID) answer undefined.
     */
    async getPipeline(space, pipelineId, phase, missingOk = false) {
        const response = await this.get(this.orch(space, `/pipelines/${enc(pipelineId)}`), {}, phase, missingOk ? [404, 422] : undefined);
        if (response.status === 404 || response.status === 422)
            return undefined;
        const data = response.data;
        const pipeline = (0,json/* isObject */.Gv)(data) ? parsePipeline(data) : undefined;
        if (!pipeline)
            throw new json/* ShapeError */.ym('a pipeline object with an id', data);
        return pipeline;
    }
    /**
     * PATCH …/pipelines/{pipeline_id}/team: assigns (or, with null, clears) the owning team. The body
     * `{"team_id": …}` is inferred (apis.md §2.2). Not used by the step; here so every seed endpoint has a call.
     */
    async setPipelineTeam(space, pipelineId, teamId) {
        const response = await this.http.request({
            method: 'PATCH',
            path: this.orch(space, `/pipelines/${enc(pipelineId)}/team`),
            json: { team_id: teamId },
            retry: 'safe',
            phase: 'resolve',
            expect: 'json',
        });
        return (0,json/* isObject */.Gv)(response.data) ? parsePipeline(response.data) : undefined;
    }
    /** PATCH …/pipelines/{pipeline_id}/criticality; `{"criticality": "high"}` (casing on the wire unknown). Not used by the step. */
    async setPipelineCriticality(space, pipelineId, criticality) {
        const response = await this.http.request({
            method: 'PATCH',
            path: this.orch(space, `/pipelines/${enc(pipelineId)}/criticality`),
            json: { criticality },
            retry: 'safe',
            phase: 'resolve',
            expect: 'json',
        });
        return (0,json/* isObject */.Gv)(response.data) ? parsePipeline(response.data) : undefined;
    }
    /**
     * POST …/pipelines/{pipeline_id}/trigger, with no body (as the doc's curl). Never retried blindly: a resend
     * could start a second DAG run. Any 2xx and any body is accepted; the body is read as text and parsed here,
     * so that a non-JSON body cannot pass for a lost answer.
     */
    async triggerPipeline(space, pipelineId) {
        const response = await this.http.request({
            method: 'POST',
            path: this.orch(space, `/pipelines/${enc(pipelineId)}/trigger`),
            retry: 'unsafe',
            phase: 'trigger',
            expect: 'text',
        });
        return parseTriggerAnswer(response.status, response.text);
    }
    // ----- runs -----------------------------------------------------------------------------------------
    /** GET …/pipelines/{pipeline_id}/runs (one page). */
    async listRuns(space, pipelineId, filters, paging, phase) {
        const response = await this.get(this.orch(space, `/pipelines/${enc(pipelineId)}/runs`), { ...filters, ...paging }, phase);
        return pageOf(response, 'a run list', parseRunSummary);
    }
    async allRuns(space, pipelineId, filters, phase, maxPages) {
        return this.allPages((paging) => this.listRuns(space, pipelineId, filters, paging, phase), (r) => r.id, maxPages);
    }
    /** GET /spaces/{slug}/orchestration/runs/{run_id}: one run with its task runs. `missingOk`: 404/422 → undefined. */
    async getRun(space, runId, phase, missingOk = false) {
        const response = await this.get(this.orch(space, `/runs/${enc(runId)}`), {}, phase, missingOk ? [404, 422] : undefined);
        if (response.status === 404 || response.status === 422)
            return undefined;
        const data = response.data;
        const run = (0,json/* isObject */.Gv)(data) ? parseRunDetail(data) : undefined;
        if (!run)
            throw new json/* ShapeError */.ym('a run object with an id', data);
        return run;
    }
    // ----- comments -------------------------------------------------------------------------------------
    /** GET …/runs/{run_id}/comments (first pages only: enough to see whether we already commented). */
    async listRunComments(space, runId, phase = 'comment') {
        const listing = await this.allPages(async (paging) => pageOf(await this.get(this.orch(space, `/runs/${enc(runId)}/comments`), { ...paging }, phase), 'a comment list', parseComment), (c) => c.id ?? JSON.stringify(c), 5);
        return listing.items;
    }
    /**
     * POST …/runs/{run_id}/comments. The body follows the shared Comments API, which is not among the sources:
     * `{"content": …}` is our guess (apis.md §5 #18). Not retried after a possible delivery: no duplicate comments.
     */
    async createRunComment(space, runId, content) {
        const response = await this.http.request({
            method: 'POST',
            path: this.orch(space, `/runs/${enc(runId)}/comments`),
            json: { content },
            retry: 'unsafe',
            phase: 'comment',
            expect: 'json',
        });
        return (0,json/* isObject */.Gv)(response.data) ? parseComment(response.data) : {};
    }
    /** GET …/task-runs/{task_run_id}/comments */
    async listTaskRunComments(space, taskRunId, phase = 'comment') {
        const listing = await this.allPages(async (paging) => pageOf(await this.get(this.orch(space, `/task-runs/${enc(taskRunId)}/comments`), { ...paging }, phase), 'a comment list', parseComment), (c) => c.id ?? JSON.stringify(c), 5);
        return listing.items;
    }
    /** POST …/task-runs/{task_run_id}/comments */
    async createTaskRunComment(space, taskRunId, content) {
        const response = await this.http.request({
            method: 'POST',
            path: this.orch(space, `/task-runs/${enc(taskRunId)}/comments`),
            json: { content },
            retry: 'unsafe',
            phase: 'comment',
            expect: 'json',
        });
        return (0,json/* isObject */.Gv)(response.data) ? parseComment(response.data) : {};
    }
    /** PUT or PATCH …/comments/{comment_id} (an update is idempotent, so it is retried like a read). */
    async updateComment(space, commentId, content, method = 'PATCH') {
        const response = await this.http.request({
            method,
            path: this.orch(space, `/comments/${enc(commentId)}`),
            json: { content },
            retry: 'safe',
            phase: 'comment',
            expect: 'json',
        });
        return (0,json/* isObject */.Gv)(response.data) ? parseComment(response.data) : {};
    }
    /** DELETE …/comments/{comment_id}; a 404 on a retry means the first attempt deleted it. */
    async deleteComment(space, commentId) {
        await this.http.request({
            method: 'DELETE',
            path: this.orch(space, `/comments/${enc(commentId)}`),
            retry: 'safe',
            phase: 'comment',
            expect: 'none',
            okStatuses: [404],
        });
    }
    // ----- connector sync -------------------------------------------------------------------------------
    /**
     * POST …/orchestration/connectors/{connector_id}/sync: Airflow connectors only; needs edit rights on the
     * connector. A repeated sync is harmless, so it is retried like a read.
     */
    async syncConnector(space, connectorId, phase = 'find') {
        const response = await this.http.request({
            method: 'POST',
            path: this.orch(space, `/connectors/${enc(connectorId)}/sync`),
            retry: 'safe',
            phase,
            expect: 'text',
        });
        let status;
        try {
            const data = response.text.trim() ? JSON.parse(response.text) : undefined;
            if ((0,json/* isObject */.Gv)(data))
                status = api_text(data, 'status', 'state');
        }
        catch {
            // Any body is fine.
        }
        return { httpStatus: response.status, ...(status !== undefined && { status }) };
    }
}

;// CONCATENATED MODULE: ./lib/providers/qarion/provider.js
/**
 * Qarion: trigger an Airflow-backed pipeline, find the run the trigger caused, follow it, and report the task
 * runs that did not succeed (apis.md §2).
 *
 * What makes Qarion awkward (apis.md §2.7): the trigger's answer is undocumented (empty, a Qarion run, an
 * Airflow DAG run, or just an id); runs reach Qarion through a connector sync, so they may show up late or
 * only after a sync; there is no idempotency, no cancel and no log endpoint. So:
 * - an id in the answer is looked up (as a Qarion run id, then as Airflow's id in the runs list) and waited
 *   for until the engine's start window ends: only that run is followed, never another listed run;
 * - otherwise the run followed is one that was not in the baseline taken just before the trigger (and did not
 *   start before it by the server's clock), never "the newest run"; several newcomers are all followed;
 * - with `sync-before-poll`, connector syncs are requested while the run is not listed: the first after a
 *   few looks (at once after a lost answer), then again every few looks;
 * - after a trigger whose answer was lost, the pipeline counts as busy for the rest of the step, so the engine
 *   never sends it again: no answer and no sync can show that Airflow did not start a run (a sync may list
 *   it only later, apis.md §2.6 step 7, §5 #16), and a second load is worse than a red step. A run of the
 *   pipeline that started after the baseline is adopted as an equivalent load (`adoption: 'equivalent'`: the
 *   trigger carries nothing but the pipeline);
 * - an API trigger makes a `manual` DAG run: when the answer was not lost, a scheduled (backfill, dataset)
 *   newcomer is never followed alone as ours, only alongside ours;
 * - a run is a composite of its task runs: the members proof needs at least one task run, all ended, none
 *   failed (see `membersProof`);
 * - failures list the task runs that are not ok, and say where the logs are (the Airflow UI).
 */





/**
 * Run and task-run words (apis.md §2.3). Runs mirror Airflow; Qarion may use its own words, so both are
 * here. A word not listed (e.g. `removed`) is in progress while the run has no end time and a failure once
 * it has one. `upstream_failed` is task-only but harmless for runs.
 */
const QARION_STATUS = {
    succeeded: ['success', 'succeeded', 'completed', 'complete'],
    failed: ['failed', 'failure', 'error', 'upstream_failed'],
    cancelled: ['cancelled', 'canceled'],
    queued: ['queued', 'scheduled', 'pending', 'none', 'null'],
    running: ['running', 'up_for_retry', 'up_for_reschedule', 'deferred', 'restarting'],
};
/** Task-run words that are neither success nor failure: a skipped task is fine (a run is never skipped). */
const QARION_TASK_NOT_A_FAILURE = ['skipped'];
/** The baseline and the look for new runs list runs started since "now" minus this (clock skew). */
const SKEW_MARGIN_MS = 10 * 60_000;
/** With sync-before-poll: the first sync is requested after this many looks, or this long after the trigger. */
const SYNC_AFTER_LOOKS = 3;
const SYNC_AFTER_MS = 10_000;
/**
 * …and again every this many looks while the run is still not listed: one sync may not list it (how long a
 * sync takes and what it covers are unknown, apis.md §5 #16). The engine's start window bounds the looks.
 */
const SYNC_EVERY_LOOKS = 3;
/** Run-list `status` filters for runs in flight (raw words; the server's own words are unknown). */
const IN_FLIGHT_FILTERS = ['running', 'queued'];
const QUEUED_FILTER = 'queued';
/**
 * Run types an API trigger cannot produce (it makes a `manual` DAG run). A newcomer of these types is never
 * followed alone as "the run the trigger started"; it is followed alongside ours once ours shows up.
 */
const NOT_FROM_A_TRIGGER = ['scheduled', 'backfill', 'dataset_triggered', 'asset_triggered'];
const DAY = 86_400_000;
/** `mode: check` looks for the latest run in these windows, then without a window (capped pages). */
const LATEST_WINDOWS_MS = [2 * DAY, 14 * DAY, 90 * DAY];
/** Pages read for `mode: check` at most (per window): past it, the history proof fails clearly. */
const LATEST_MAX_PAGES = 50;
/** Runs for `run-id` lookups by Airflow id (mode wait). */
const UNWINDOWED_MAX_PAGES = 20;
/** How far back a run without a zone in its start time may be newer in real time (a clock change). */
const CLOCK_CHANGE_MS = 60 * 60_000;
/** Run history for polling: successful runs of the last 30 days, a few pages at most. */
const HISTORY_WINDOW_MS = 30 * DAY;
const HISTORY_MAX_PAGES = 3;
/**
 * A pipeline or run id as FastAPI validates it (the simulator's default; real ids are undocumented): only such
 * a ref is read directly by id before the pipeline list (any other ref answers 422 there).
 */
const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * How old the in-flight check's runs read may be when `baseline` takes it as the baseline: the engine asks for
 * the baseline right after an in-flight check that found the pipeline idle, with no request in between.
 */
const BASELINE_REUSE_MS = 5_000;
function runState(run) {
    return (0,outcome/* normalizeStatus */.SP)(QARION_STATUS, run.status, run.endedAt !== undefined);
}
/** A task run's state: a missing word before it is scheduled means queued (Airflow's "no status"). */
function taskState(task) {
    return (0,outcome/* normalizeStatus */.SP)(QARION_STATUS, task.status ?? 'none', task.endedAt !== undefined);
}
function taskIsOk(task) {
    const raw = (task.status ?? '').trim().toLowerCase();
    return taskState(task) === 'succeeded' || QARION_TASK_NOT_A_FAILURE.includes(raw);
}
/** Whether an ISO time carries its zone (`Z` or an offset). */
function hasZone(text) {
    return /[zZ]$|[+-]\d\d:?\d\d$/.test(text.trim());
}
/** Epoch ms of an ISO time; a time without an offset is read as UTC (the format is unknown, apis.md §5 #14). */
function timeMs(text) {
    if (!text)
        return undefined;
    const withZone = /[zZ]|[+-]\d\d:?\d\d$/.test(text) || !/T\d/.test(text) ? text : `${text}Z`;
    const ms = Date.parse(withZone);
    return Number.isNaN(ms) ? undefined : ms;
}
function runStartMs(run) {
    return timeMs(run.startedAt) ?? timeMs(run.queuedAt) ?? Number.POSITIVE_INFINITY;
}
function iso(ms) {
    return new Date(ms).toISOString();
}
/** The message of an ApiError without its "phase: " prefix (the engine adds the phase again). */
function withoutPhase(error) {
    return error.message.startsWith(`${error.phase}: `) ? error.message.slice(error.phase.length + 2) : error.message;
}
function isAbort(error) {
    return error instanceof http/* ApiError */.hD ? error.kind === 'aborted' : error instanceof Error && error.name === 'AbortError';
}
class QarionProvider {
    deps;
    platform = 'qarion';
    statusTable = QARION_STATUS;
    /** Qarion's trigger carries nothing but the pipeline: a run of it started after the baseline is an equivalent load. */
    adoption = 'equivalent';
    timeNote = 'Times are as Qarion sends them (ISO 8601); a time without an offset is read as UTC.';
    api;
    states = new Map();
    /** Runs found after a trigger of this step (the comment says "triggered" rather than "followed"). */
    ours = new Set();
    /** Runs already commented on by this step: never twice. */
    announced = new Set();
    /** Server clock minus client clock, from the last `Date` header seen. */
    serverOffsetMs;
    /** Pipeline lists of this step, by space and query: one list serves every target that names a pipeline. */
    pipelineLists = new Map();
    /** The last in-flight check's runs read per target, taken as its baseline when the pipeline was idle. */
    runsReads = new Map();
    /** Durations of recent successful runs per target, from the read the baseline was taken from. */
    histories = new Map();
    /**
     * Runs this step's own trigger made, found alone (the answer named it, or it was the only new run): no
     * step of this CI run can have commented on them yet (see `announce`).
     */
    fresh = new Set();
    constructor(deps) {
        this.deps = deps;
        this.api = new QarionApi(deps.http, deps.settings.baseUrl);
    }
    // --- resolve -------------------------------------------------------------------------------------
    async resolve(spec) {
        if (spec.platform !== 'qarion')
            throw new Error(`not a Qarion target: ${spec.label}`);
        const ref = spec.ref.trim();
        // A ref shaped like an id is read directly (404: it may still be a name). Any other ref is looked up in
        // the step's pipeline list: a GET by it would only answer 422 (FastAPI validates the id).
        let pipeline = UUID_SHAPE.test(ref) ? await this.api.getPipeline(spec.space, ref, 'resolve', true) : undefined;
        let byId = pipeline !== undefined;
        if (!pipeline)
            ({ pipeline, byId } = await this.pipelineByRef(spec.space, ref));
        const target = {
            spec,
            // A run's detail lists its task runs (apis.md §2.2 "one run with task details"): a run is green only
            // with the members proof (membersProof).
            composite: true,
            space: spec.space,
            pipelineId: pipeline.id,
            name: pipeline.name,
            label: byId ? (pipeline.name !== ref ? `${spec.label} (${pipeline.name})` : spec.label) : `${spec.label} (${pipeline.id})`,
            paused: pipeline.paused,
            ...(pipeline.dagId !== undefined && { dagId: pipeline.dagId }),
            ...(pipeline.connectorId !== undefined && { connectorId: pipeline.connectorId }),
            ...(pipeline.airflowUrl !== undefined && { airflowUrl: pipeline.airflowUrl }),
        };
        this.warnAbout(target, pipeline);
        return target;
    }
    warnAbout(target, pipeline) {
        const { log, settings } = this.deps;
        if (pipeline.provider && pipeline.provider.toLowerCase() !== 'airflow') {
            log.warn(`${target.label}: the pipeline's provider is '${pipeline.provider}'; Qarion triggers Airflow-backed pipelines only, so the trigger will probably be refused`);
        }
        if (pipeline.paused && settings.mode !== 'check') {
            log.warn(`${target.label}: the DAG${target.dagId ? ` ${target.dagId}` : ''} is paused in Airflow: a triggered run may stay queued until the timeout`);
        }
        if (settings.syncBeforePoll && !pipeline.connectorId && (settings.mode === 'run' || settings.mode === 'trigger')) {
            log.warn(`${target.label}: sync-before-poll is set, but the pipeline names no connector to sync`);
        }
    }
    /**
     * The pipeline list this ref is looked up in, read once per step and shared by every target that needs it:
     * `q=<name>` when the ref is the only name to look up in its space, else the space's whole list (one list
     * for all the names of the step rather than one search per target). The list is read under the step's
     * signal, not the first asking target's: stopping that target must not stop the others' lookups.
     */
    pipelineList(space, ref) {
        const names = new Set(this.deps.settings.targets
            .filter((t) => t.platform === 'qarion' && t.space === space && !UUID_SHAPE.test(t.ref.trim()))
            .map((t) => t.ref.trim()));
        names.add(ref);
        const filters = names.size === 1 ? { q: ref } : {};
        const key = `${space}\n${filters.q ?? '*'}`;
        let list = this.pipelineLists.get(key);
        if (!list) {
            list = http/* requestScope */.cG.run({ signal: this.deps.signal }, () => this.api.allPipelines(space, filters, 'resolve'));
            this.pipelineLists.set(key, list);
        }
        return untilAborted(list, http/* requestScope */.cG.getStore()?.signal);
    }
    async pipelineByRef(space, ref) {
        const hits = (await this.pipelineList(space, ref)).items;
        // A server whose ids are not UUIDs: the list names it.
        const withId = hits.find((p) => p.id === ref);
        if (withId)
            return { pipeline: withId, byId: true };
        let exact = hits.filter((p) => p.name === ref);
        if (exact.length === 0)
            exact = hits.filter((p) => p.name.toLowerCase() === ref.toLowerCase());
        if (exact.length === 0)
            exact = hits.filter((p) => p.dagId !== undefined && p.dagId.toLowerCase() === ref.toLowerCase());
        if (exact.length === 1)
            return { pipeline: exact[0], byId: false };
        if (exact.length > 1) {
            throw new ResolveError(`${exact.length} pipelines in space '${space}' are named '${ref}' (${exact.map((p) => p.id).join(', ')}): use the pipeline id instead`);
        }
        // Nothing by that name: an id of a form we did not expect (a search by text may not match ids) is read
        // directly, once, before the step fails.
        if (!UUID_SHAPE.test(ref)) {
            const direct = await this.api.getPipeline(space, ref, 'resolve', true);
            if (direct)
                return { pipeline: direct, byId: true };
        }
        // Close matches: what the text search found, or else the whole list by edit distance.
        const pool = hits.length > 0 ? hits : (await this.api.allPipelines(space, {}, 'resolve')).items;
        const wanted = ref.toLowerCase();
        const close = pool
            .map((p) => ({ p, d: (0,names/* editDistance */.Y)(p.name.toLowerCase(), wanted) }))
            .filter((x) => x.d <= Math.max(3, Math.floor(wanted.length / 3)) || x.p.name.toLowerCase().includes(wanted) || wanted.includes(x.p.name.toLowerCase()))
            .sort((a, b) => a.d - b.d)
            .slice(0, 5)
            .map((x) => `'${x.p.name}' (${x.p.id})`);
        throw new ResolveError(`no pipeline with the id or name '${ref}' in space '${space}' (or not visible to this key). ` +
            (close.length > 0 ? `Close matches: ${close.join(', ')}` : 'Nothing similar is visible to this key.'));
    }
    // --- runs in flight, baseline -------------------------------------------------------------------
    noteServerDate(serverDateMs) {
        if (serverDateMs !== undefined)
            this.serverOffsetMs = serverDateMs - this.deps.clock.now();
    }
    /** The server's clock when known (from its `Date` header), else ours. */
    serverNow() {
        return this.deps.clock.now() + (this.serverOffsetMs ?? 0);
    }
    /** Runs in flight among `runs`: listed as running or queued, and not ended by the status table. */
    static inFlightAmong(runs) {
        // The words the in-flight check has always asked the server for (`status=running`, `status=queued`); a
        // server ignoring a filter, or a list read without one, must not make ended runs look busy.
        return [...runs].filter((r) => {
            if (!IN_FLIGHT_FILTERS.includes((r.status ?? '').trim().toLowerCase()))
                return false;
            const state = runState(r);
            return state === 'queued' || state === 'running' || state === 'unknown';
        });
    }
    /**
     * One read of the pipeline's runs before the trigger that serves the in-flight check, the baseline and the
     * run history (apis.md §2.6 steps 2-3; §2.5: 60 requests a minute per key): the runs started in the
     * history window (30 days, at most HISTORY_MAX_PAGES pages, as the history read always was).
     * - The baseline needs every run a later look may list: the runs started since its `from` (a subset of the
     *   window) and the queued runs (a queued run may have no start, and a `started_from` filter may leave it
     *   out). Queued runs are read as well only when one can be waiting without a start: when the window shows
     *   a run in flight (then the engine does not trigger now anyway), or when the DAG is paused. On an idle,
     *   unpaused pipeline a run waits without a start only for the moments before the scheduler starts it; such
     *   a run, queued just before this read, is then what a run queued just after it always was: a new run
     *   beside ours, followed with it (never alone as ours, unless it started before the baseline by the
     *   server's clock), and the step passes only if both succeed.
     * - A window with more pages than that is not read to its end here: the in-flight check and the baseline
     *   then read their own filtered lists, as before (`complete: false`).
     * - In flight: runs listed as running or queued. A run started before the window and still running (30
     *   days) is not seen; the run list's `status=running` filter would have shown it.
     */
    async runsBeforeTrigger(target, withQueued = false) {
        const atMs = this.deps.clock.now();
        const window = await this.api.allRuns(target.space, target.pipelineId, { started_from: iso(this.serverNow() - HISTORY_WINDOW_MS) }, 'baseline', HISTORY_MAX_PAGES);
        this.noteServerDate(window.serverDateMs);
        const durations = window.items
            .filter((r) => runState(r) === 'succeeded')
            .map((r) => observationOf(r).durationSeconds)
            .filter((d) => d !== undefined);
        if (window.incomplete !== undefined || window.truncated)
            return { runs: window.items, complete: false, durations, atMs };
        const byId = new Map(window.items.map((r) => [r.id, r]));
        const dates = [window.serverDateMs];
        if (withQueued || target.paused || QarionProvider.inFlightAmong(byId.values()).length > 0) {
            const queued = await this.api.allRuns(target.space, target.pipelineId, { status: QUEUED_FILTER }, 'baseline');
            dates.push(queued.serverDateMs);
            for (const run of queued.items)
                byId.set(run.id, run);
        }
        const known = dates.filter((d) => d !== undefined);
        return { runs: [...byId.values()], complete: true, durations, atMs, ...(known.length > 0 && { serverDateMs: Math.min(...known) }) };
    }
    /** The runs in flight, by the filtered lists (when the window was too long to read whole). */
    async inFlightRuns(target, phase) {
        const byId = new Map();
        for (const status of IN_FLIGHT_FILTERS) {
            const listing = await this.api.allRuns(target.space, target.pipelineId, { status }, phase);
            this.noteServerDate(listing.serverDateMs);
            for (const run of listing.items)
                byId.set(run.id, run);
        }
        return QarionProvider.inFlightAmong(byId.values());
    }
    /**
     * Runs started since `from`, plus queued runs (a queued run may have no start yet, and a `started_from`
     * filter may leave it out). The baseline and every look use the same queries, so they compare.
     */
    async recentRuns(target, from, phase) {
        return (await this.recentListing(target, from, phase)).runs;
    }
    async recentListing(target, from, phase) {
        const byId = new Map();
        const started = await this.api.allRuns(target.space, target.pipelineId, { started_from: from }, phase);
        this.noteServerDate(started.serverDateMs);
        for (const run of started.items)
            byId.set(run.id, run);
        const queued = await this.api.allRuns(target.space, target.pipelineId, { status: QUEUED_FILTER }, phase);
        for (const run of queued.items)
            byId.set(run.id, run);
        // The earlier of the two answers' dates: both lists were answered no earlier than it.
        const dates = [started.serverDateMs, queued.serverDateMs].filter((d) => d !== undefined);
        return { runs: [...byId.values()], ...(dates.length > 0 && { serverDateMs: Math.min(...dates) }) };
    }
    /** `withQueued`: read the queued runs whatever the window shows (after a 409, where the answer matters more than a request). */
    async inFlight(target, withQueued = false) {
        const read = await this.runsBeforeTrigger(target, withQueued);
        this.runsReads.set(target.spec.label, read);
        const runs = read.complete ? QarionProvider.inFlightAmong(read.runs) : await this.inFlightRuns(target, 'baseline');
        if (runs.length === 0) {
            // After a lost trigger answer, "nothing listed" never means idle: the run may exist in Airflow unsynced,
            // and no sync is documented to list everything (one may not be enough). Saying busy keeps the engine from
            // sending a second trigger.
            const state = this.states.get(target.spec.label);
            if (state?.lost !== undefined) {
                return {
                    description: "the trigger's answer was lost, and Qarion may list the run it started only after one or more connector syncs, so the pipeline " +
                        `cannot be shown to be idle${this.deps.settings.syncBeforePoll ? ` (${state.syncs} sync(s) requested so far)` : ' (sync-before-poll is off)'}`,
                };
            }
            return undefined;
        }
        runs.sort((a, b) => runStartMs(a) - runStartMs(b) || a.id.localeCompare(b.id));
        const first = runs[0];
        return {
            handle: handleOf(first),
            description: `run ${first.id} is ${first.status ?? 'without a status'}${runs.length > 1 ? `; ${runs.length} runs are in flight` : ''}`,
        };
    }
    state(target) {
        let state = this.states.get(target.spec.label);
        if (!state) {
            state = { looks: 0, sync: 'not-yet', syncs: 0 };
            this.states.set(target.spec.label, state);
        }
        return state;
    }
    /**
     * The runs listed just before the trigger. Right after an in-flight check that found the pipeline idle (the
     * engine's order), that check's read is the baseline: it lists every run a look may list (see
     * `runsBeforeTrigger`), and a run that started between it and the trigger is new either way.
     */
    async baseline(target) {
        const label = target.spec.label;
        this.states.set(label, { looks: 0, sync: 'not-yet', syncs: 0 });
        const from = iso(this.serverNow() - SKEW_MARGIN_MS);
        let read = this.runsReads.get(label);
        this.runsReads.delete(label);
        if (read && this.deps.clock.now() - read.atMs > BASELINE_REUSE_MS)
            read = undefined;
        read ??= await this.runsBeforeTrigger(target);
        this.histories.set(label, read.durations);
        if (read.complete)
            return { ids: new Set(read.runs.map((r) => r.id)), from, ...(read.serverDateMs !== undefined && { serverDateMs: read.serverDateMs }) };
        const { runs, serverDateMs } = await this.recentListing(target, from, 'baseline');
        return { ids: new Set(runs.map((r) => r.id)), from, ...(serverDateMs !== undefined && { serverDateMs }) };
    }
    // --- trigger ---------------------------------------------------------------------------------------
    async trigger(target) {
        const state = this.state(target);
        if (state.lost !== undefined) {
            // Defence in depth: `inFlight` already reports such a pipeline busy, so the engine does not resend. Should
            // it try anyway, fail closed: a second load is worse than a red step.
            throw new Error(`not sending the trigger again: its first answer was lost (${state.lost}), and Qarion may list the run it started ` +
                'only after one or more connector syncs' +
                (this.deps.settings.syncBeforePoll ? '' : ' (set sync-before-poll: true to let the step sync and look)'));
        }
        this.runsReads.delete(target.spec.label);
        state.triggeredAtMs = this.deps.clock.now();
        state.looks = 0;
        delete state.answer;
        try {
            const answer = await this.api.triggerPipeline(target.space, target.pipelineId);
            state.answer = answer;
            delete state.lost;
            return { kind: 'accepted', note: describeAnswer(answer) };
        }
        catch (error) {
            if (!(error instanceof http/* ApiError */.hD))
                throw error;
            if (error.status === 409)
                return this.conflict(target, error);
            if (error.mayHaveApplied) {
                state.lost = withoutPhase(error);
                throw error;
            }
            if (error.status === 401) {
                // The same key just read the pipeline: the 401 most likely comes from Airflow, passed through (apis.md §2.4).
                throw new Error(`${withoutPhase(error)}. The API key worked for reading a moment ago, so this 401 most likely comes from Airflow ` +
                    "(Qarion passes the provider's answers through): Qarion's own Airflow credentials were refused. Ask the space's admin to check the Airflow connector");
            }
            if (error.status === 403) {
                throw new http/* ApiError */.hD(`${error.message} (if the key's user is an Editor or Admin of space '${target.space}', this 403 may come from Airflow, passed through by Qarion)`, {
                    kind: error.kind,
                    phase: error.phase,
                    method: error.method,
                    path: error.path,
                    status: 403,
                    mayHaveApplied: error.mayHaveApplied,
                    attempts: error.attempts,
                    ...(error.problem !== undefined && { problem: error.problem }),
                    ...(error.bodyText !== undefined && { bodyText: error.bodyText }),
                });
            }
            throw error;
        }
    }
    /**
     * A 409 is Airflow's answer passed through: "already running" only when a run is in flight; otherwise
     * (e.g. a dag_run_id conflict) it is quoted as an error, so `if-running: queue` cannot loop on it.
     */
    async conflict(target, error) {
        const busy = await this.inFlight(target, true);
        const said = error.problem?.detail ?? error.problem?.title ?? '409';
        if (busy)
            return { kind: 'already-running', ...(busy.handle && { handle: busy.handle }), message: `Qarion answered 409 (${said}); ${busy.description}` };
        throw new Error(`${withoutPhase(error)}. No run of the pipeline is queued or running, so this conflict is not "already running": ` +
            'Qarion passes Airflow\'s answer through; check the DAG in Airflow');
    }
    // --- find ------------------------------------------------------------------------------------------
    /**
     * One look for the run the trigger caused.
     * - The answer named a run: only that run (by Qarion id, or by Airflow id in the list) is ever returned. Until
     *   it is listed the answer is `pending` (with syncs where configured); the engine's start window bounds the
     *   wait. Another new run is never followed in its place (issue 12, defect 5).
     * - No id (or a lost answer): runs not in the baseline that did not start before it (server clock), all of
     *   them. When the answer was lost any such run is an equivalent load (`adoption`); otherwise a scheduled
     *   newcomer is followed only alongside a run a trigger can have made.
     */
    async find(target, baseline) {
        const state = this.state(target);
        state.looks++;
        const ids = [state.answer?.runId, state.answer?.providerRunId].filter((id) => id !== undefined && id !== '');
        const look = async () => {
            if (ids.length > 0)
                return this.answered(target, state, baseline, ids);
            return this.pick(state, baseline, await this.recentRuns(target, baseline.from, 'find'));
        };
        let result = await look();
        if (result)
            return result;
        if (this.shouldSync(state) && (await this.sync(target, state))) {
            result = await look();
            if (result)
                return result;
        }
        return { kind: 'pending', reason: this.pendingReason(target, state) };
    }
    /** The run the trigger answered, when Qarion shows it; other new runs are noted, never returned. */
    async answered(target, state, baseline, ids) {
        const identity = `the run id the trigger answered (${ids.join(' / ')})`;
        if (state.answer?.runId) {
            // The id may be Qarion's (found here) or Airflow's (404/422 here; matched in the list below).
            const run = await this.api.getRun(target.space, state.answer.runId, 'find', true);
            if (run && (run.pipelineId === undefined || run.pipelineId === target.pipelineId))
                return this.found([run], identity, true);
        }
        const candidates = await this.recentRuns(target, baseline.from, 'find');
        // Normally one match; should two runs carry the answered id, both are followed rather than one guessed.
        const matches = candidates.filter((r) => ids.includes(r.id) || (r.providerRunId !== undefined && ids.includes(r.providerRunId)));
        if (matches.length > 0)
            return this.found(matches, identity, matches.length === 1);
        const others = candidates.filter((r) => !baseline.ids.has(r.id)).map((r) => `${r.id}${r.runType ? ` (${r.runType})` : ''}`);
        if (others.length > 0)
            state.notAnswered = others;
        return undefined;
    }
    pick(state, baseline, candidates) {
        const notInBaseline = candidates.filter((r) => !baseline.ids.has(r.id));
        // A run Qarion listed late (after a sync) may have started before the baseline: by the server's clock, it
        // is not a load started after this step asked for it.
        const before = notInBaseline.filter((r) => this.startedBeforeBaseline(r, baseline));
        if (before.length > 0)
            state.beforeBaseline = before.map((r) => `${r.id} (started ${r.queuedAt ?? r.startedAt})`);
        const fresh = notInBaseline.filter((r) => !before.includes(r));
        if (fresh.length === 0)
            return undefined;
        if (state.lost !== undefined) {
            // Any run of the pipeline started after the baseline is an equivalent load; all of them are followed.
            fresh.sort((a, b) => runStartMs(a) - runStartMs(b) || a.id.localeCompare(b.id));
            return this.found(fresh, `a run of this pipeline not in the baseline taken just before the trigger, and not started before it by Qarion's clock ` +
                "(an equivalent load: Qarion's trigger carries nothing but the pipeline)", false);
        }
        // Only scheduled (or backfill, dataset) runs so far: none of them is ours; wait for one that can be.
        const couldBeOurs = fresh.filter((r) => !NOT_FROM_A_TRIGGER.includes(r.runType?.trim().toLowerCase() ?? ''));
        if (couldBeOurs.length === 0) {
            state.othersSeen = fresh.map((r) => `${r.id} (${r.runType})`);
            return undefined;
        }
        // Manual runs first (an API trigger makes a manual DAG run), then by start. Never "the newest" alone:
        // every newcomer is returned and followed.
        fresh.sort((a, b) => Number(b.runType?.toLowerCase() === 'manual') - Number(a.runType?.toLowerCase() === 'manual') ||
            runStartMs(a) - runStartMs(b) ||
            a.id.localeCompare(b.id));
        return this.found(fresh, "a new run: not in the baseline taken just before the trigger (the trigger's answer named no run)", fresh.length === 1);
    }
    /**
     * Whether the run surely started before the baseline, by the server's own clock: its queued (else start)
     * time is earlier than the `Date` of the baseline's list answer, yet the baseline did not list it. Only
     * zoned times are compared: a time without an offset may be in any zone (apis.md §5 #14). The `Date` is
     * whole seconds, so a run queued less than a second before the baseline's answer and listed only later
     * cannot be told from one queued just after it (it is taken as started after the baseline).
     */
    startedBeforeBaseline(run, baseline) {
        if (baseline.serverDateMs === undefined)
            return false;
        const text = run.queuedAt ?? run.startedAt;
        if (!text || !hasZone(text))
            return false;
        const ms = timeMs(text);
        return ms !== undefined && ms < baseline.serverDateMs;
    }
    /** `alone`: the run this step's own trigger made, and no other candidate (see `fresh`). */
    found(runs, identity, alone) {
        const [first, ...rest] = runs.map(handleOf);
        this.ours.add(first.runId);
        if (alone)
            this.fresh.add(first.runId);
        return { kind: 'found', handle: first, identity, ...(rest.length > 0 && { others: rest }) };
    }
    shouldSync(state) {
        if (!this.deps.settings.syncBeforePoll || state.sync === 'failed' || state.sync === 'no-connector')
            return false;
        if (state.syncs > 0)
            return state.looks - (state.lastSyncLook ?? 0) >= SYNC_EVERY_LOOKS;
        if (state.lost !== undefined)
            return true;
        const since = state.triggeredAtMs === undefined ? 0 : this.deps.clock.now() - state.triggeredAtMs;
        return state.looks >= SYNC_AFTER_LOOKS || since >= SYNC_AFTER_MS;
    }
    /** Requests a connector sync; a refusal only warns (it needs edit rights on the connector) and ends the syncs. */
    async sync(target, state) {
        const { log } = this.deps;
        if (!target.connectorId) {
            state.sync = 'no-connector';
            log.warn(`${target.label}: no run showed up, and the pipeline names no connector to sync`);
            return false;
        }
        try {
            await this.api.syncConnector(target.space, target.connectorId, 'find');
            state.sync = 'done';
            state.syncs++;
            state.lastSyncLook = state.looks;
            const what = state.answer?.runId ?? state.answer?.providerRunId;
            log.info(`${target.label}: ${what ? `run ${what} (the trigger's answer) is not listed yet` : 'no run showed up yet'}: ` +
                `requested a sync of connector ${target.connectorId} (sync-before-poll${state.syncs > 1 ? `, sync ${state.syncs}` : ''})`);
            return true;
        }
        catch (error) {
            if (!(error instanceof http/* ApiError */.hD) || isAbort(error))
                throw error;
            state.sync = 'failed';
            state.syncNote =
                error.status === 403
                    ? `refused (403): the key's user needs edit rights on connector ${target.connectorId}`
                    : withoutPhase(error);
            log.warn(`${target.label}: the connector sync (sync-before-poll) failed: ${state.syncNote}`);
            return false;
        }
    }
    pendingReason(target, state) {
        const parts = [];
        if (state.lost !== undefined)
            parts.push(`the trigger's answer was lost (${state.lost}) and it was not sent again, so as not to start a second run`);
        const answered = [state.answer?.runId, state.answer?.providerRunId].filter(Boolean);
        parts.push(answered.length > 0
            ? `the trigger answered run ${answered.join(' / ')}, which Qarion does not list yet; only that run is followed`
            : `no new run of pipeline '${target.name}' is listed`);
        if (state.notAnswered?.length)
            parts.push(`other new runs are listed but were not started by this trigger, so they are not followed: ${state.notAnswered.join(', ')}`);
        if (state.othersSeen?.length) {
            parts.push(`only runs a trigger cannot have started appeared: ${state.othersSeen.join(', ')}`);
        }
        if (state.beforeBaseline?.length)
            parts.push(`runs listed late that started before this step's baseline (not ours): ${state.beforeBaseline.join(', ')}`);
        parts.push(`the run may exist in Airflow${target.dagId ? ` (DAG ${target.dagId})` : ''} but not be synced to Qarion yet`);
        switch (state.sync) {
            case 'not-yet':
                parts.push(this.deps.settings.syncBeforePoll
                    ? 'a connector sync will be requested (sync-before-poll)'
                    : "set sync-before-poll: true to let the step request connector syncs (the key's user needs edit rights on the connector)");
                break;
            case 'done':
                parts.push(`${state.syncs} connector sync(s) were requested (sync-before-poll), but the run is still not listed`);
                break;
            case 'failed':
                parts.push(`the connector sync (sync-before-poll) failed: ${state.syncNote}`);
                break;
            case 'no-connector':
                parts.push('sync-before-poll is set, but the pipeline names no connector to sync');
                break;
        }
        return parts.join('; ');
    }
    // --- observe, failures -----------------------------------------------------------------------------
    async observe(target, handle) {
        const run = await this.api.getRun(target.space, handle.runId, 'follow', true);
        if (!run)
            return { state: 'unknown', rawStatus: '', progress: `run ${handle.runId} is not listed (404)` };
        return observationOf(run);
    }
    async failures(target, handle, observation, sink) {
        const run = await this.api.getRun(target.space, handle.runId, 'logs', true);
        if (!run) {
            const note = `the run can no longer be read (404); see ${logsWhere(target, handle.providerRunId, undefined)}`;
            sink.note(`${target.label} run ${handle.runId}: ${note}`);
            return [{ name: `run ${handle.runId}`, type: 'run', id: handle.runId, status: observation.rawStatus || '(no status)', logExcerpt: [], errorLines: [], logNote: note }];
        }
        const where = logsWhere(target, run.providerRunId ?? handle.providerRunId, run.dagId);
        const succeeded = observation.state === 'succeeded';
        const started = (t) => t.startedAt !== undefined || t.endedAt !== undefined;
        // Not ok: failed, cancelled or unknown words; a task still queued or running in an ended run only if it started.
        const notOk = run.taskRuns.filter((t) => !taskIsOk(t) && (!['queued', 'running'].includes(taskState(t)) || started(t)));
        const neverRan = run.taskRuns.filter((t) => !taskIsOk(t) && !notOk.includes(t));
        const wanted = succeeded ? run.taskRuns : notOk;
        this.writeRun(target, run, where, neverRan, sink);
        const out = wanted.map((task) => this.describeTask(task, where));
        if (run.errorText && !succeeded) {
            const lines = run.errorText.split(/\r?\n/).filter((l) => l.trim());
            out.push({
                name: 'run',
                type: 'run',
                id: run.id,
                status: run.status ?? '(no status)',
                ...(run.startedAt !== undefined && { startedAt: run.startedAt }),
                ...(run.endedAt !== undefined && { finishedAt: run.endedAt }),
                logExcerpt: lines,
                errorLines: lines.slice(0, 3),
                logNote: `error text of the run; see ${where}`,
            });
        }
        if (out.length === 0 && !succeeded) {
            out.push({
                name: `run ${run.id}`,
                type: 'run',
                id: run.id,
                status: run.status ?? observation.rawStatus ?? '(no status)',
                logExcerpt: [],
                errorLines: [],
                logNote: `Qarion lists no task run that failed${run.taskRuns.length === 0 ? ' (no task details)' : ''}; see ${where}`,
            });
        }
        return out;
    }
    /** logs: live: Qarion has no log endpoint; where this run's task logs are, as the failure details say. */
    liveLogAbsent(target, handle) {
        return logsWhere(target, handle.providerRunId, undefined);
    }
    describeTask(task, where) {
        const tries = task.tryNumber !== undefined && task.tryNumber > 1 ? ` (try ${task.tryNumber})` : '';
        const lines = task.errorText ? task.errorText.split(/\r?\n/).filter((l) => l.trim()) : [];
        return {
            name: `${task.taskId}${tries}`,
            type: 'task',
            id: task.id ?? task.taskId,
            status: task.status ?? 'none',
            ...(task.startedAt !== undefined && { startedAt: task.startedAt }),
            ...(task.endedAt !== undefined && { finishedAt: task.endedAt }),
            logExcerpt: lines,
            errorLines: lines.slice(0, 3),
            logNote: `Qarion has no log endpoint: the task log is in ${where}, task ${task.taskId}${task.tryNumber ? `, try ${task.tryNumber}` : ''}`,
        };
    }
    /** Everything known about the run goes to the log file: run facts and every task run. */
    writeRun(target, run, where, neverRan, sink) {
        const log = sink.open(`${target.label} run ${run.id}${run.providerRunId ? ` (Airflow ${run.providerRunId})` : ''}: ${run.status ?? '(no status)'}`);
        log.write(`status: ${run.status ?? '(none)'}${run.runType ? `, run type ${run.runType}` : ''}`);
        log.write(`started: ${run.startedAt ?? '-'}, ended: ${run.endedAt ?? '-'}${run.durationSeconds !== undefined ? `, ${run.durationSeconds}s` : ''}`);
        if (run.errorText)
            for (const line of run.errorText.split(/\r?\n/))
                log.write(`error: ${line}`);
        log.write(`task runs (${run.taskRuns.length}):`);
        for (const t of run.taskRuns) {
            log.write(`  ${t.taskId}: ${t.status ?? 'none'}${t.tryNumber !== undefined ? `, try ${t.tryNumber}` : ''}, ${t.startedAt ?? '-'} → ${t.endedAt ?? '-'}` +
                (t.errorText ? `: ${t.errorText.replace(/\s*\r?\n\s*/g, ' ')}` : ''));
        }
        if (neverRan.length > 0)
            log.write(`never ran: ${neverRan.map((t) => t.taskId).join(', ')}`);
        log.write(`Qarion has no log endpoint; the task logs are in ${where}`);
        log.finish();
    }
    // --- traceability ----------------------------------------------------------------------------------
    /**
     * A run comment linking the CI run (settings.comment); once per run; a failure only warns (engine).
     *
     * The comments are listed first so that one CI run never comments twice on a run: a later step of the same
     * CI run that follows it again (mode wait after mode trigger, if-running: attach), or a run adopted or
     * followed by several steps. A run that this step's own trigger made and that was found alone (the answer
     * named it, or it was the only new run) is younger than this step's baseline, and no step but this one has
     * identified it as its own: no comment of this CI run can be on it yet, so the list is not read (one
     * request less per target within the key's budget). Left open: two jobs of one CI run triggering the same
     * pipeline at the same moment, each taking the other's run for its own when its own is listed late; the
     * list would not have closed that race either (both may read it before either posts).
     */
    async announce(target, handle) {
        if (!this.deps.settings.comment || this.announced.has(handle.runId))
            return;
        this.announced.add(handle.runId);
        const content = this.commentText(handle);
        // The same CI run (and attempt) never comments twice on a run, even from two steps (run, then wait).
        const ciLine = content.split('\n').find((line) => line.startsWith('CI run'));
        const already = (text) => ciLine !== undefined ? text.split(/\r?\n/).some((line) => line.trim() === ciLine) : text.trim() === content.trim();
        if (!this.fresh.has(handle.runId)) {
            try {
                const existing = await this.api.listRunComments(target.space, handle.runId);
                if (existing.some((c) => c.content !== undefined && already(c.content))) {
                    this.deps.log.debug(`${target.label}: run ${handle.runId} already carries this CI run's comment`);
                    return;
                }
            }
            catch (error) {
                if (isAbort(error))
                    throw error;
                this.deps.log.debug(`${target.label}: could not list the comments of run ${handle.runId}: ${(0,core_text/* errorText */.kc)(error)}`);
            }
        }
        await this.api.createRunComment(target.space, handle.runId, content);
        this.deps.log.info(`${target.label}: commented on run ${handle.runId} with a link to this CI run`);
    }
    commentText(handle) {
        const ci = this.deps.ciContext;
        const system = ci.system === 'github' ? 'GitHub Actions' : ci.system === 'azure' ? 'Azure Pipelines' : 'the command line';
        const lines = [`${this.ours.has(handle.runId) ? 'Triggered' : 'Followed'} from ${system} by orchestration-run.`];
        if (ci.runUrl)
            lines.push(`CI run: ${ci.runUrl}${ci.attempt && ci.attempt !== '1' ? ` (attempt ${ci.attempt})` : ''}`);
        else if (ci.runId)
            lines.push(`CI run id: ${ci.runId}${ci.attempt && ci.attempt !== '1' ? ` (attempt ${ci.attempt})` : ''}`);
        if (ci.workflow)
            lines.push(`Workflow: ${ci.workflow}`);
        if (ci.repository)
            lines.push(`Repository: ${ci.repository}`);
        if (ci.commit)
            lines.push(`Commit: ${ci.commit}`);
        if (ci.actor)
            lines.push(`Actor: ${ci.actor}`);
        return lines.join('\n');
    }
    // --- modes wait and check ------------------------------------------------------------------------
    /** Durations of recent successful runs, for history-aware polling (fewer reads within the rate budget). */
    async history(target) {
        // Read with the baseline (the same 30-day window): no request of its own.
        const known = this.histories.get(target.spec.label);
        if (known) {
            this.histories.delete(target.spec.label);
            return known;
        }
        const filters = { started_from: iso(this.serverNow() - HISTORY_WINDOW_MS) };
        const listing = await this.api.allRuns(target.space, target.pipelineId, filters, 'baseline', HISTORY_MAX_PAGES);
        this.noteServerDate(listing.serverDateMs);
        return listing.items
            .filter((r) => runState(r) === 'succeeded')
            .map((r) => observationOf(r).durationSeconds)
            .filter((d) => d !== undefined);
    }
    /** A Qarion run id, or an Airflow dag_run_id of this pipeline. */
    async handleFor(target, runId) {
        const wanted = runId.trim();
        const run = await this.api.getRun(target.space, wanted, 'find', true);
        if (run) {
            if (run.pipelineId !== undefined && run.pipelineId !== target.pipelineId) {
                throw new ResolveError(`run ${wanted} belongs to another pipeline (${run.pipelineId}), not to ${target.label}`);
            }
            return handleOf(run);
        }
        const listing = await this.api.allRuns(target.space, target.pipelineId, {}, 'find', UNWINDOWED_MAX_PAGES);
        const hit = listing.items.find((r) => r.id === wanted || r.providerRunId === wanted);
        if (hit)
            return handleOf(hit);
        throw new ResolveError(`run-id '${wanted}' is not a run of pipeline '${target.name}' in space '${target.space}' (neither a Qarion run id nor an Airflow dag_run_id listed for it)`);
    }
    /**
     * The run with the newest start (`mode: check`), read from every page of the runs list (bound: 50 pages per
     * window; past it the history proof fails). Qarion documents no list order, so "newest" is chosen by the
     * server's start times: by instant when they carry a zone; without a zone the text may be local time, and
     * across a clock change a run up to an hour "older" by its text may be the newer one, so when such a run
     * ended otherwise than the newest by text the history proof fails instead of guessing. The run detail is
     * read for the end and members proofs. Its age is measured against the server's clock (the `Date` header
     * of the list answer) when the server sends one, else against this machine's clock.
     */
    async latest(target) {
        for (const windowMs of [...LATEST_WINDOWS_MS, undefined]) {
            const filters = windowMs === undefined ? {} : { started_from: iso(this.serverNow() - windowMs) };
            const listing = await this.api.allRuns(target.space, target.pipelineId, filters, 'check', LATEST_MAX_PAGES);
            this.noteServerDate(listing.serverDateMs);
            if (listing.items.length === 0)
                continue;
            const scope = windowMs === undefined ? 'all runs' : `runs started since ${filters.started_from}`;
            const read = `read ${listing.pages} page(s) of ${scope} (${listing.items.length} run(s))`;
            const sorted = [...listing.items].sort((a, b) => runStartMs(b) - runStartMs(a) || b.id.localeCompare(a.id));
            const newest = sorted[0];
            const history = this.historyProof(read, listing.incomplete, newest, sorted);
            const detail = (await this.api.getRun(target.space, newest.id, 'check', true)) ?? newest;
            const endMs = timeMs(detail.endedAt);
            const serverMs = listing.serverDateMs;
            return {
                handle: handleOf(detail),
                observation: observationOf(detail),
                history,
                ...(endMs !== undefined && { ageMs: Math.max(0, (serverMs ?? this.deps.clock.now()) - endMs) }),
                ...(endMs !== undefined && serverMs === undefined && { ageNote: "measured on this machine's clock (Qarion sent no Date header)" }),
            };
        }
        return undefined;
    }
    /** The complete-history proof of `latest`: every page read, and "newest" told by the server's times. */
    historyProof(read, incomplete, newest, sorted) {
        if (incomplete !== undefined)
            return { ok: false, detail: `${read}, but the list is not complete: ${incomplete}` };
        const start = newest.startedAt ?? newest.queuedAt;
        if (start === undefined)
            return { ok: true, detail: `${read}; the newest has no start time yet (in flight)` };
        if (hasZone(start))
            return { ok: true, detail: `${read}; newest by zoned start time (${start})` };
        const newestMs = runStartMs(newest);
        const state = runState(newest);
        const rivals = sorted.filter((r) => r !== newest && newestMs - runStartMs(r) <= CLOCK_CHANGE_MS && runState(r) !== state);
        if (rivals.length > 0) {
            return {
                ok: false,
                detail: `${read}; start times carry no zone, and run ${rivals[0].id} (${rivals[0].status ?? 'no status'}, started ${rivals[0].startedAt ?? rivals[0].queuedAt}) ` +
                    `started within an hour of run ${newest.id} (${newest.status ?? 'no status'}, ${start}) by the text: across a clock change either may be the newer`,
            };
        }
        return { ok: true, detail: `${read}; newest by start time (${start}, no zone; no run within an hour before it ended otherwise)` };
    }
}
// ---------------------------------------------------------------------------------------------------------
class ResolveError extends Error {
}
/** `promise`, or the reason of `signal` as soon as it aborts (a shared read keeps going for the others). */
function untilAborted(promise, signal) {
    if (!signal)
        return promise;
    if (signal.aborted)
        return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
        const onAbort = () => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        promise.then((value) => {
            signal.removeEventListener('abort', onAbort);
            resolve(value);
        }, (error) => {
            signal.removeEventListener('abort', onAbort);
            reject(error);
        });
    });
}
function handleOf(run) {
    return { runId: run.id, ...(run.providerRunId !== undefined && { providerRunId: run.providerRunId }) };
}
function observationOf(run) {
    const startMs = timeMs(run.startedAt);
    const endMs = timeMs(run.endedAt);
    const duration = run.durationSeconds ?? (startMs !== undefined && endMs !== undefined ? Math.max(0, Math.round((endMs - startMs) / 1000)) : undefined);
    const observation = { state: runState(run), rawStatus: run.status ?? '' };
    if (run.startedAt !== undefined)
        observation.startedAt = run.startedAt;
    if (run.endedAt !== undefined) {
        observation.finishedAt = run.endedAt;
        // The end proof: the run's own end time, under the field the server used.
        observation.end = `${run.endedAtField ?? 'ended_at'} ${run.endedAt}`;
    }
    if (duration !== undefined)
        observation.durationSeconds = duration;
    if ('taskRuns' in run) {
        if (run.taskRuns.length > 0)
            observation.progress = taskProgress(run.taskRuns);
        observation.members = membersProof(run.taskRuns);
    }
    else {
        observation.members = { ok: false, detail: 'only the run list was read (no task runs)' };
    }
    return observation;
}
/**
 * The members proof of a run from its task runs (the run detail lists only this run's task runs, so no time
 * bounding is needed; Qarion has no failure counters to compare). Ok when at least one task run is listed,
 * every one has ended (an end word, `skipped`, or an end time) and none failed (a failure or cancel word,
 * `upstream_failed` included). A task word not in the table with an end time counts as ended, not failed, and
 * is named in the detail. A run whose detail lists no task run at all fails the proof: Qarion documents the
 * detail "with task details", and a run that shows no task cannot be shown to have loaded anything (an
 * honest red rather than a green on the run's word alone).
 */
function membersProof(tasks) {
    if (tasks.length === 0)
        return { ok: false, detail: 'Qarion lists no task run for this run, so no task of it can be shown to have run' };
    const notEnded = [];
    const failed = [];
    const unknownWords = [];
    let skipped = 0;
    for (const task of tasks) {
        const raw = (task.status ?? '').trim().toLowerCase();
        const explicit = (0,outcome/* normalizeStatus */.SP)(QARION_STATUS, task.status ?? 'none', false);
        if (explicit === 'failed' || explicit === 'cancelled')
            failed.push(`${task.taskId} (${task.status})`);
        else if (QARION_TASK_NOT_A_FAILURE.includes(raw))
            skipped++;
        else if (explicit === 'succeeded')
            continue;
        else if (explicit === 'unknown' && task.endedAt !== undefined)
            unknownWords.push(`${task.taskId} (${task.status ?? 'no status'})`);
        else
            notEnded.push(`${task.taskId} (${task.status ?? 'no status'})`);
    }
    const n = tasks.length;
    const extras = [skipped > 0 ? `${skipped} skipped` : '', unknownWords.length > 0 ? `ended with a word not in the table: ${unknownWords.join(', ')}` : '']
        .filter(Boolean)
        .join('; ');
    if (failed.length > 0)
        return { ok: false, detail: `${failed.length} of ${n} task runs failed: ${failed.join(', ')}` };
    if (notEnded.length > 0)
        return { ok: false, detail: `${notEnded.length} of ${n} task runs have not ended: ${notEnded.join(', ')}` };
    return { ok: true, detail: `${n} of ${n} task runs ended, none failed${extras ? ` (${extras})` : ''}` };
}
/** e.g. "3 of 5 task runs ended (1 failed), 1 running": explicit words only, no end-time rule (display only). */
function taskProgress(tasks) {
    let ended = 0;
    let failed = 0;
    let running = 0;
    for (const task of tasks) {
        const explicit = (0,outcome/* normalizeStatus */.SP)(QARION_STATUS, task.status ?? 'none', false);
        const skipped = QARION_TASK_NOT_A_FAILURE.includes((task.status ?? '').trim().toLowerCase());
        if (explicit === 'running')
            running++;
        else if (explicit === 'failed' || explicit === 'cancelled') {
            ended++;
            failed++;
        }
        else if (explicit === 'succeeded' || skipped || task.endedAt !== undefined)
            ended++;
    }
    return `${ended} of ${tasks.length} task runs ended${failed > 0 ? ` (${failed} failed)` : ''}${running > 0 ? `, ${running} running` : ''}`;
}
/** Where the logs are: Qarion has no log endpoint (apis.md §2.5). */
function logsWhere(target, providerRunId, dagId) {
    const dag = dagId ?? target.dagId;
    const facts = [dag ? `DAG ${dag}` : undefined, providerRunId ? `run ${providerRunId}` : undefined].filter(Boolean);
    let where = `the Airflow UI${facts.length > 0 ? ` (${facts.join(', ')})` : ''}`;
    if (target.airflowUrl && dag) {
        const base = target.airflowUrl.replace(/\/+$/, '');
        where += `: ${base}/dags/${encodeURIComponent(dag)}/grid${providerRunId ? `?dag_run_id=${encodeURIComponent(providerRunId)}` : ''}`;
    }
    return where;
}
function describeAnswer(answer) {
    const ids = [
        answer.runId !== undefined ? `run id ${answer.runId}` : undefined,
        answer.providerRunId !== undefined ? `Airflow run ${answer.providerRunId}` : undefined,
    ].filter(Boolean);
    if (ids.length > 0)
        return `the trigger answered ${answer.httpStatus} with ${ids.join(' and ')}${answer.status ? ` (${answer.status})` : ''}`;
    return `the trigger answered ${answer.httpStatus}${answer.body === 'empty' ? ' with no body' : ' without a run id'}`;
}
const qarionModule = {
    platform: 'qarion',
    authHeaders: (apiKey) => ({ Authorization: `Bearer ${apiKey}` }),
    create: (deps) => new QarionProvider(deps),
};


/***/ }),

/***/ 1530:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  MAP_SETTLE_MS: () => (/* binding */ MAP_SETTLE_MS),
  TIMEXTENDER_STATUS: () => (/* binding */ TIMEXTENDER_STATUS),
  TimextenderProvider: () => (/* binding */ TimextenderProvider),
  pickLatest: () => (/* binding */ pickLatest),
  timextenderModule: () => (/* binding */ timextenderModule),
  zoneOffsetMs: () => (/* binding */ zoneOffsetMs)
});

// EXTERNAL MODULE: ./lib/core/http/index.js + 7 modules
var http = __webpack_require__(6416);
// EXTERNAL MODULE: ./lib/core/names.js
var names = __webpack_require__(6599);
// EXTERNAL MODULE: ./lib/core/logs.js
var logs = __webpack_require__(2776);
// EXTERNAL MODULE: ./lib/core/outcome.js
var outcome = __webpack_require__(1307);
// EXTERNAL MODULE: ./lib/core/untrusted.js
var untrusted = __webpack_require__(6713);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
;// CONCATENATED MODULE: ./lib/providers/timextender/live.js
/**
 * Live logs of TimeXtender executions (`logs: live`).
 *
 * GET …/executions/{execId}/log has no cursor and no `since` (apis.md §1.5 #10): every read returns the log
 * from its first entry. So the cursor keeps, per execution, how many entries were handed over and a
 * fingerprint of the last one (its time and text), nothing else: a read streams the log, skips what was
 * handed over, checks that the last entry handed over is still where it was, and hands over what follows.
 * A log that was rewritten or shortened (the entry is elsewhere, or gone) is said once; the cursor then moves
 * to just after the entry where it is found now (or to the start when it is not found) and the lines from
 * there come with the next read: a line is never lost silently, and handed over twice only because the
 * server rewrote it. Memory is one entry at a time, whatever the log's length.
 */


function tdpCursor(cursor) {
    if (cursor && cursor.v === 1 && typeof cursor.x === 'object' && cursor.x !== null && Array.isArray(cursor.said)) {
        // A copy: the caller's cursor is never changed.
        const x = {};
        for (const [key, place] of Object.entries(cursor.x))
            x[key] = { ...place };
        return { v: 1, x, said: [...cursor.said] };
    }
    return { v: 1, x: {}, said: [] };
}
/** The text of one entry, as the failure logs write it. */
function entryText(entry) {
    return entry.logTime ? `${entry.logTime} ${entry.log}` : entry.log;
}
function fingerprint(entry) {
    return (0,external_node_crypto_.createHash)('sha256').update(`${entry.logTime ?? ''}\u0000${entry.log}`).digest('hex').slice(0, 24);
}
/**
 * Reads one execution's log once from `place` and hands over the new entries, one LiveLine per printed line.
 * `mask` is the log file's masker (control characters removed, the key masked). A read that fails is a note
 * and keeps the place reached (what was handed over before the failure stays handed over).
 */
async function readExecutionLog(entries, from, source, mask, emit) {
    const prev = from ? { n: from.n, ...(from.h !== undefined && { h: from.h }) } : { n: 0 };
    let place = { ...prev };
    let lines = 0;
    // 'check': skipping what was handed over; 'append': handing over; 'lost': the last entry is not where it was.
    let mode = prev.n === 0 || prev.h === undefined ? 'append' : 'check';
    // Unless the last read lost its place, the entries before the last one handed over are not even parsed.
    const skip = mode === 'check' && !from?.scan ? prev.n - 1 : 0;
    let foundAt = -1;
    let index = skip;
    let total = 0;
    // The fingerprint of the last entry handed over is taken once, at the end.
    let last;
    const reached = () => (last ? { n: index, h: fingerprint(last) } : place);
    try {
        for await (const entry of entries(skip)) {
            total = index + 1;
            if (mode === 'check') {
                const same = fingerprint(entry) === prev.h;
                if (index < prev.n - 1) {
                    if (same && foundAt < 0)
                        foundAt = index;
                    index++;
                    continue;
                }
                // index === prev.n - 1: the last entry handed over must be here.
                if (same) {
                    mode = 'append';
                    index++;
                    continue;
                }
                mode = 'lost';
                if (foundAt >= 0)
                    break;
                index++;
                continue;
            }
            if (mode === 'lost') {
                // Looking for the last entry handed over further on (entries were inserted before it).
                if (fingerprint(entry) === prev.h) {
                    foundAt = index;
                    break;
                }
                index++;
                continue;
            }
            for (const text of (0,untrusted/* splitLines */.uz)(mask(entryText(entry)))) {
                const drained = emit({ source: source.id, label: source.label, text });
                lines++;
                if (drained)
                    await drained;
            }
            index++;
            last = entry;
        }
    }
    catch (error) {
        place = reached();
        const reason = error instanceof Error ? error.message : String(error);
        return {
            place,
            lines,
            note: `the log of ${source.label} could not be read (${reason}); the next read resumes after entry ${place.n}`,
            failed: true,
        };
    }
    place = reached();
    if (mode === 'check')
        mode = 'lost'; // the log ended before the last entry handed over: it was shortened
    if (mode !== 'lost')
        return { place, lines };
    // Skipped unparsed, the entries before could not be searched: the next read scans the log from its start.
    if (skip > 0 && foundAt < 0)
        return { place: { ...prev, scan: true }, lines };
    const now = mode === 'lost' && total < prev.n ? `shortened to ${total} entries (${prev.n} were read before)` : 'rewritten';
    if (foundAt >= 0) {
        return {
            place: { n: foundAt + 1, h: prev.h },
            lines,
            note: `the log of ${source.label} was ${now}: the last entry read before is now entry ${foundAt + 1}; the entries after it are sent again from there with the next read`,
        };
    }
    return {
        place: { n: 0 },
        lines,
        note: `the log of ${source.label} was ${now} and the last entry read before is no longer in it: the log is sent again from its start with the next read (lines already shown may repeat)`,
    };
}

// EXTERNAL MODULE: ./lib/core/json.js
var json = __webpack_require__(3085);
// EXTERNAL MODULE: ./lib/core/json-stream.js
var json_stream = __webpack_require__(3278);
;// CONCATENATED MODULE: ./lib/providers/timextender/api.js



const API_PREFIX = '/api/v0/orchestration';
/** The page size we ask for on lists; a shorter page is the last one (doc). */
const LIST_PAGE_SIZE = 100;
/** Safety stop for paging: a server that ignores offset must not make us loop for ever. */
const MAX_PAGES = 1000;
const enc = encodeURIComponent;
function nullableStr(value) {
    return (0,json/* str */.gx)(value) ?? null;
}
function parseWorkspace(o) {
    return { key: (0,json/* str */.gx)(o.key) ?? '', name: (0,json/* str */.gx)(o.name) ?? '', description: nullableStr(o.description) };
}
function parseProcessMap(o) {
    return {
        processMapId: (0,json/* num */.bu)(o.processMapId) ?? -1,
        name: (0,json/* str */.gx)(o.name) ?? '',
        workspace: (0,json/* str */.gx)(o.workspace) ?? '',
        lastExecutionDate: nullableStr(o.lastExecutionDate),
        successfulTasks: (0,json/* num */.bu)(o.successfulTasks) ?? 0,
        failedTasks: (0,json/* num */.bu)(o.failedTasks) ?? 0,
        runningTasks: (0,json/* num */.bu)(o.runningTasks) ?? 0,
        queuedTasks: (0,json/* num */.bu)(o.queuedTasks) ?? 0,
        disabledTasks: (0,json/* num */.bu)(o.disabledTasks) ?? 0,
    };
}
function parseTask(o) {
    return {
        taskId: (0,json/* num */.bu)(o.taskId) ?? -1,
        taskName: (0,json/* str */.gx)(o.taskName) ?? '',
        taskType: (0,json/* str */.gx)(o.taskType) ?? '',
        status: nullableStr(o.status),
        processMapId: (0,json/* num */.bu)(o.processMapId) ?? null,
        processMapName: nullableStr(o.processMapName),
        lastExecutionStartTime: nullableStr(o.lastExecutionStartTime),
        lastExecutionEndTime: nullableStr(o.lastExecutionEndTime),
    };
}
function parseExecutionSummary(o) {
    return {
        taskId: (0,json/* num */.bu)(o.taskId) ?? null,
        taskName: (0,json/* str */.gx)(o.taskName) ?? '',
        taskType: (0,json/* str */.gx)(o.taskType) ?? '',
        status: nullableStr(o.status),
        lastStartTime: nullableStr(o.lastStartTime),
        lastEndTime: nullableStr(o.lastEndTime),
        duration: (0,json/* str */.gx)(o.duration) ?? '',
    };
}
function parseExecution(o) {
    const executionId = (0,json/* num */.bu)(o.executionId);
    if (executionId === undefined)
        return undefined;
    return {
        executionId,
        startTime: nullableStr(o.startTime),
        endTime: nullableStr(o.endTime),
        status: nullableStr(o.status),
        durationSeconds: (0,json/* num */.bu)(o.durationSeconds) ?? null,
    };
}
function parseLogEntry(value) {
    if ((0,json/* isObject */.Gv)(value))
        return { logTime: nullableStr(value.logTime), log: (0,json/* str */.gx)(value.log) ?? '' };
    return { logTime: null, log: typeof value === 'string' ? value : JSON.stringify(value) };
}
function arrayOf(data, what, parse) {
    if (!Array.isArray(data))
        throw new json/* ShapeError */.ym(`${what} (a JSON array)`, data);
    const out = [];
    for (const item of data) {
        if (!(0,json/* isObject */.Gv)(item))
            continue;
        const parsed = parse(item);
        if (parsed !== undefined)
            out.push(parsed);
    }
    return out;
}
/** How many history pages are read at most for one task before the reading fails clearly. */
const MAX_HISTORY_PAGES = 50;
class TimextenderApi {
    http;
    constructor(http) {
        this.http = http;
    }
    async getJson(path, query, phase) {
        const response = await this.http.request({ method: 'GET', path: API_PREFIX + path, query, retry: 'safe', phase, expect: 'json' });
        return response.data;
    }
    /** Reads every page of a list; stops on a short page, or when a page adds nothing new (a server ignoring offset). */
    async allPages(read, keyOf) {
        const seen = new Map();
        for (let pageNo = 0; pageNo < MAX_PAGES; pageNo++) {
            const page = await read({ limit: LIST_PAGE_SIZE, offset: pageNo * LIST_PAGE_SIZE });
            let added = 0;
            for (const item of page) {
                const key = keyOf(item);
                if (!seen.has(key))
                    added++;
                seen.set(key, item);
            }
            if (page.length < LIST_PAGE_SIZE || added === 0)
                break;
        }
        return [...seen.values()];
    }
    /** 1. GET /workspaces */
    async listWorkspaces(phase = 'resolve') {
        return arrayOf(await this.getJson('/workspaces', {}, phase), 'a workspace list', parseWorkspace);
    }
    /** 2. GET /{workspace}/process-maps */
    async listProcessMaps(workspace, uat, page, phase = 'resolve') {
        const data = await this.getJson(`/${enc(workspace)}/process-maps`, { uat, ...page }, phase);
        return arrayOf(data, 'a process map list', parseProcessMap);
    }
    async allProcessMaps(workspace, uat, phase = 'resolve') {
        return this.allPages((page) => this.listProcessMaps(workspace, uat, page, phase), (m) => String(m.processMapId));
    }
    /** 3. GET /{workspace}/process-maps/{id}/tasks (not paged: the doc lists only `uat`). */
    async processMapTasks(workspace, processMapId, uat, phase = 'resolve') {
        const data = await this.getJson(`/${enc(workspace)}/process-maps/${processMapId}/tasks`, { uat }, phase);
        return arrayOf(data, 'a task list', parseTask);
    }
    /** 4. POST /{workspace}/process-maps/{id}/trigger → 202 with an empty body; never retried blindly. */
    async triggerProcessMap(workspace, processMapId, uat) {
        await this.http.request({
            method: 'POST',
            path: `${API_PREFIX}/${enc(workspace)}/process-maps/${processMapId}/trigger`,
            json: { uat },
            retry: 'unsafe',
            phase: 'trigger',
            expect: 'none',
        });
    }
    /** 5. GET /{workspace}/tasks */
    async listTasks(workspace, uat, page, phase = 'resolve') {
        return arrayOf(await this.getJson(`/${enc(workspace)}/tasks`, { uat, ...page }, phase), 'a task list', parseTask);
    }
    async allTasks(workspace, uat, phase = 'resolve') {
        return this.allPages((page) => this.listTasks(workspace, uat, page, phase), (t) => `${t.taskType}/${t.taskId}`);
    }
    /** 6. GET /{workspace}/tasks/{taskType}/{taskId} */
    async getTask(workspace, taskType, taskId, uat, phase = 'resolve') {
        const data = await this.getJson(`/${enc(workspace)}/tasks/${enc(taskType)}/${taskId}`, { uat }, phase);
        if (!(0,json/* isObject */.Gv)(data))
            throw new json/* ShapeError */.ym('a task object', data);
        return parseTask(data);
    }
    /** 7. POST /{workspace}/tasks/{taskType}/{taskId}/trigger → 202 with an empty body; never retried blindly. */
    async triggerTask(workspace, taskType, taskId, uat) {
        await this.http.request({
            method: 'POST',
            path: `${API_PREFIX}/${enc(workspace)}/tasks/${enc(taskType)}/${taskId}/trigger`,
            json: { uat },
            retry: 'unsafe',
            phase: 'trigger',
            expect: 'none',
        });
    }
    /** 8. GET /{workspace}/executions: the latest state of every task, one entry per task. */
    async listExecutionSummaries(workspace, uat, page, phase = 'follow') {
        const data = await this.getJson(`/${enc(workspace)}/executions`, { uat, ...page }, phase);
        return arrayOf(data, 'an execution summary list', parseExecutionSummary);
    }
    async allExecutionSummaries(workspace, uat, phase = 'follow') {
        return this.allPages((page) => this.listExecutionSummaries(workspace, uat, page, phase), (e) => `${e.taskType}/${e.taskId ?? `null:${e.taskName}`}`);
    }
    /** 9. GET /{workspace}/tasks/{taskType}/{taskId}/executions: history; order NOT reliable, match by id. */
    async taskExecutions(workspace, taskType, taskId, uat, page, phase) {
        const data = await this.getJson(`/${enc(workspace)}/tasks/${enc(taskType)}/${taskId}/executions`, { uat, ...page }, phase);
        return arrayOf(data, 'an execution list', parseExecution);
    }
    /**
     * Every page of a task's history that is needed (apis.md §1.9: "page until a page is shorter than `limit`").
     * The maximum `limit` is unknown (§5 #4), so a server may cap pages below what we ask: a short page is the end
     * only when it is empty, or shorter than a page already seen full (the largest page this server has given
     * for any history); in doubt one more page is read. Offsets advance by the items received. A page that adds
     * nothing new while full (a server ignoring `offset`) and reading past MAX_HISTORY_PAGES both end the
     * reading as incomplete. `stop` ends it early (complete: false) once the caller has what it needs.
     */
    async allTaskExecutions(workspace, taskType, taskId, uat, phase, stop) {
        const seen = new Map();
        let offset = 0;
        for (let pages = 1; pages <= MAX_HISTORY_PAGES; pages++) {
            const page = await this.taskExecutions(workspace, taskType, taskId, uat, { limit: LIST_PAGE_SIZE, offset }, phase);
            let added = 0;
            for (const e of page) {
                if (!seen.has(e.executionId))
                    added++;
                // The latest read of an execution wins (its state may have moved on); a Map keeps its first position.
                seen.set(e.executionId, e);
            }
            const items = [...seen.values()];
            const fullBefore = this.largestHistoryPage;
            this.largestHistoryPage = Math.max(this.largestHistoryPage, page.length);
            if (page.length === 0)
                return { items, pages, complete: true, note: `${items.length} execution(s) on ${pages} page(s), read to an empty page` };
            // Any page proves the server gives at least that many per page: a page shorter than one seen is the last.
            if (page.length < LIST_PAGE_SIZE && page.length < fullBefore) {
                return { items, pages, complete: true, note: `${items.length} execution(s) on ${pages} page(s), read to a short page` };
            }
            if (stop?.(page))
                return { items, pages, complete: false, note: `${items.length} execution(s) on ${pages} page(s), stopped once found` };
            if (added === 0) {
                return { items, pages, complete: false, note: `page ${pages} repeated executions already read (the server may ignore offset); the history could not be read to its end` };
            }
            offset += page.length;
        }
        const items = [...seen.values()];
        return { items, pages: MAX_HISTORY_PAGES, complete: false, note: `the history is longer than ${MAX_HISTORY_PAGES} pages (${items.length} executions read); it was not read to its end` };
    }
    /** The largest history page this server has answered (a page shorter than this is the last one). */
    largestHistoryPage = 0;
    /**
     * 10. GET …/executions/{execId}/log, streamed entry by entry (logs can hold hundreds of thousands of
     * lines). `skip` entries are dropped first, so a fetch cut off mid-way can resume without duplicates.
     */
    async *executionLog(workspace, taskType, taskId, executionId, skip = 0) {
        const response = await this.http.stream({
            method: 'GET',
            path: `${API_PREFIX}/${enc(workspace)}/tasks/${enc(taskType)}/${taskId}/executions/${executionId}/log`,
            retry: 'safe',
            phase: 'logs',
        });
        try {
            // The skipped entries are counted, not parsed.
            for await (const item of (0,json_stream/* jsonArrayItems */.U)(response.body, { skip }))
                yield parseLogEntry(item);
        }
        catch (error) {
            if (error instanceof http/* ApiError */.hD)
                throw error;
            const path = `${API_PREFIX}/${workspace}/tasks/${taskType}/${taskId}/executions/${executionId}/log`;
            throw new http/* ApiError */.hD(`logs: the log of execution ${executionId} could not be read: ${error.message}`, {
                kind: 'parse',
                phase: 'logs',
                method: 'GET',
                path,
                mayHaveApplied: false,
                attempts: 1,
                cause: error,
            });
        }
    }
}

;// CONCATENATED MODULE: ./lib/providers/timextender/provider.js
/**
 * TimeXtender Data Platform: trigger a task or a whole process map, find the execution the trigger caused,
 * follow it, and read the logs of what failed.
 *
 * The trigger answers 202 with no body and no id, and execution ids are not ordered by time (the doc's own
 * example: 98231 started before 97210). So the run we follow is an execution whose id was not in the
 * baseline taken just before the trigger: never "the highest id", never "the newest start".
 */







/**
 * TDP status words (apis.md §1.7). Only `Finished` is documented as success. A word we do not know (e.g.
 * `Aborted`) is in progress while the execution has no end time, and a failure once it has one.
 */
const TIMEXTENDER_STATUS = {
    succeeded: ['Finished'],
    failed: ['Failed'],
    cancelled: ['Cancelled', 'Canceled', 'Stopped'],
    queued: ['Queued'],
    running: ['Running'],
};
/** Task types whose log endpoint always answers [] (doc). */
const LOGLESS_TYPES = new Set(['Query', 'CompareQuery']);
/**
 * The largest shift a clock change makes in server-local times (apis.md §1.11: "when clocks go back, local
 * times repeat"). Two local times closer than this cannot be ordered across a change.
 */
const CLOCK_SHIFT_MS = 3_600_000;
/** Safety stop for paging the dashboard (GET /{workspace}/executions) in one batched read. */
const MAX_DASHBOARD_PAGES = 50;
/**
 * A dashboard entry that still shows an execution older than ours (the dashboard lags the history) is
 * trusted as "no news" for this long; then the run is read from its history directly, and again after as long.
 */
const DASHBOARD_STALE_MS = 60_000;
/** History reads sent at once when a batch must confirm several runs. */
const CONFIRM_CONCURRENCY = 8;
/** Two server-local times within this are the same start (the API shows whole seconds). */
const SAME_START_MS = 1000;
/**
 * How long a process map run must keep looking finished, on the step's clock, before it is judged green (the
 * default of ProviderDeps.settleMs). The server moves the map's lastExecutionDate at once and may dispatch the
 * members a moment later, and may pause between stages (apis.md §1.9: execution is asynchronous); in such a
 * moment the map shows no running or queued task, and a standalone run of a member that starts and ends then
 * cannot be told from the map's own member execution. Once the map dispatches, its member shows a second new
 * execution (the run is then ambiguous: red) or the counters show it working. A dispatch pause longer than
 * this with such a standalone run inside it is the one case no reading can tell apart (docs/timextender.md).
 */
const MAP_SETTLE_MS = 10_000;
const memberKey = (m) => `${m.taskType}/${m.taskId}`;
function isRunningWord(status) {
    const state = (0,outcome/* normalizeStatus */.SP)(TIMEXTENDER_STATUS, status, false);
    return state === 'queued' || state === 'running';
}
/**
 * An execution has ended only when it has an end time AND a terminal status (apis.md §1.10 step 8): a
 * `Finished` without an end time is still in progress, never green.
 */
function executionState(e) {
    const state = (0,outcome/* normalizeStatus */.SP)(TIMEXTENDER_STATUS, e.status, e.endTime !== null);
    return e.endTime === null && (0,outcome/* isTerminal */.Hd)(state) ? 'running' : state;
}
/** Local server times compared with local server times only: 'YYYY-MM-DDTHH:mm:ss' sorts as text. */
function localTimeMs(text) {
    if (!text)
        return undefined;
    const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
    return Number.isNaN(ms) ? undefined : ms;
}
class TimextenderProvider {
    deps;
    platform = 'timextender';
    statusTable = TIMEXTENDER_STATUS;
    /** The trigger carries nothing but the environment: a run of the target started after the baseline is equivalent. */
    adoption = 'equivalent';
    timeNote = 'Times are the TimeXtender server’s local time (the API gives no offset).';
    api;
    /** Members of each map, read once per step. */
    members = new Map();
    /** The latest history page read for each task target (the baseline's), reused by `history`. */
    recentHistory = new Map();
    /** What the history last said about each followed task execution, for reading the dashboard safely. */
    known = new Map();
    /** The baseline this step took of each map (to tell a map run of ours that has not dispatched its members yet). */
    mapBaselines = new Map();
    /**
     * The first lastExecutionDate seen to differ from the baseline, per map (the start of the run this step's
     * trigger started, unless the date moved twice between two looks): the date may move on to a later run
     * (a colleague's, queued behind ours) before ours is found.
     */
    firstMoved = new Map();
    /**
     * Per map run followed (target and run id): since when (step clock) every proof has held, and for how many
     * member executions; see MAP_SETTLE_MS.
     */
    doneSince = new Map();
    /** Per map run followed: the member executions its latest status read accounted for (live logs read these). */
    lastAccounts = new Map();
    /** The log file's masker (the same key), for live log lines. */
    mask;
    constructor(deps) {
        this.deps = deps;
        this.api = new TimextenderApi(deps.http);
        this.mask = (0,untrusted/* secretMasker */.c8)([deps.settings.apiKey]);
    }
    // --- resolve ---------------------------------------------------------------------------------
    async resolve(spec) {
        if (spec.platform !== 'timextender')
            throw new Error(`not a TimeXtender target: ${spec.label}`);
        return spec.kind === 'task' ? this.resolveTask(spec) : this.resolveMap(spec);
    }
    async resolveTask(spec) {
        const base = { spec, kind: 'task', workspace: spec.workspace, uat: spec.environment, taskType: spec.taskType };
        if (/^\d+$/.test(spec.ref)) {
            const task = await this.api.getTask(spec.workspace, spec.taskType, Number(spec.ref), spec.environment);
            return { ...base, taskId: Number(spec.ref), taskName: task.taskName, label: spec.label };
        }
        const tasks = (await this.api.allTasks(spec.workspace, spec.environment)).filter((t) => t.taskType === spec.taskType);
        const task = chooseByName(tasks, spec.ref, (t) => t.taskName, (t) => `${t.taskType}/${t.taskId}`, `${spec.taskType} task`, spec.workspace);
        return { ...base, taskId: task.taskId, taskName: task.taskName, label: `${spec.label} (${task.taskType}/${task.taskId})` };
    }
    async resolveMap(spec) {
        const maps = await this.api.allProcessMaps(spec.workspace, spec.environment);
        let map;
        if (/^\d+$/.test(spec.ref)) {
            map = maps.find((m) => m.processMapId === Number(spec.ref));
            if (!map) {
                throw new ResolveError(`process map ${spec.ref} is not in workspace '${spec.workspace}' (or not visible to this key). ` +
                    suggest(maps.map((m) => `${m.processMapId} (${m.name})`)));
            }
        }
        else {
            map = chooseByName(maps, spec.ref, (m) => m.name, (m) => String(m.processMapId), 'process map', spec.workspace);
        }
        const label = /^\d+$/.test(spec.ref) ? `${spec.label} (${map.name})` : `${spec.label} (${map.processMapId})`;
        return { spec, kind: 'process-map', workspace: spec.workspace, uat: spec.environment, processMapId: map.processMapId, name: map.name, label, composite: true };
    }
    // --- task ------------------------------------------------------------------------------------
    /** Every page of a task's history that is needed (the order is unreliable and pages may be capped). */
    readAll(t, phase, stop) {
        return this.api.allTaskExecutions(t.workspace, t.taskType, t.taskId, t.uat, phase, stop);
    }
    /** Finds an execution by id wherever it sits in the (unreliably ordered, possibly capped) history. */
    async executionById(target, executionId) {
        const read = await this.readAll(target, 'follow', (page) => page.some((e) => e.executionId === executionId));
        return read.items.find((e) => e.executionId === executionId);
    }
    taskObservation(e) {
        const state = executionState(e);
        return {
            state,
            rawStatus: e.status ?? '',
            startedAt: e.startTime ?? undefined,
            finishedAt: e.endTime ?? undefined,
            durationSeconds: e.durationSeconds ?? undefined,
            // The end is shown only by an end time on an execution whose status is terminal (apis.md §1.10 step 8).
            end: e.endTime !== null && (0,outcome/* isTerminal */.Hd)(state) ? `endTime ${e.endTime} (execution ${e.executionId})` : undefined,
        };
    }
    // --- process map -------------------------------------------------------------------------------
    /** The members of the map (read once per step; `fresh` reads them again, e.g. to see which are disabled now). */
    async mapMembers(target, phase = 'baseline', fresh = false) {
        const key = `${target.workspace}/${target.processMapId}/${target.uat}`;
        let members = fresh ? undefined : this.members.get(key);
        if (!members) {
            const tasks = await this.api.processMapTasks(target.workspace, target.processMapId, target.uat, phase);
            members = tasks.map((t) => ({
                taskType: t.taskType,
                taskId: t.taskId,
                taskName: t.taskName,
                disabled: (t.status ?? '').trim().toLowerCase() === 'disabled',
            }));
            this.members.set(key, members);
        }
        return members;
    }
    async readMap(target, phase) {
        const maps = await this.api.allProcessMaps(target.workspace, target.uat, phase);
        const map = maps.find((m) => m.processMapId === target.processMapId);
        if (!map)
            throw new ResolveError(`process map ${target.processMapId} is no longer visible in workspace '${target.workspace}'`);
        return map;
    }
    /** Every member's history, all pages. */
    async memberReads(target, members, phase) {
        const out = [];
        for (const member of members)
            out.push({ member, history: await this.readAll({ workspace: target.workspace, uat: target.uat, taskType: member.taskType, taskId: member.taskId }, phase) });
        return out;
    }
    /** Reads the map, its members and their histories, and accounts for this map run's member executions. */
    async mapRun(target, handle, phase) {
        const map = await this.readMap(target, phase);
        const members = await this.mapMembers(target, phase, true);
        const reads = await this.memberReads(target, members, phase);
        // With this step's baseline, every member execution since it belongs to the runs followed (see find).
        if (handle.knownIds || phase === 'check' || handle.since === null || map.lastExecutionDate === null || map.lastExecutionDate === handle.since) {
            return { map, account: accountMapRun(reads, handle.since, handle.knownIds) };
        }
        // A run followed without our baseline (attach, wait) whose map date has moved on: from its creation to its
        // start (it waited in a queue), or to a later run. Executions since the run's date may then be standalone
        // runs of members from the queue window, so the account widens conservatively: every execution since the
        // run's date is judged, and the members must also have run since the map's new date.
        const sinceMs = localTimeMs(handle.since);
        const known = {};
        for (const { member, history } of reads) {
            known[memberKey(member)] = history.items.filter((e) => sinceMs !== undefined && startMs(e) < sinceMs - SAME_START_MS).map((e) => e.executionId);
        }
        return { map, account: accountMapRun(reads, map.lastExecutionDate, known) };
    }
    /**
     * A map run that looks finished and green is reported in progress until it has looked so for MAP_SETTLE_MS
     * (the same member executions, every proof holding on each read): it may not have dispatched every member.
     */
    settled(key, observation, runs) {
        if (observation.state !== 'succeeded') {
            this.doneSince.delete(key);
            return observation;
        }
        const now = this.deps.clock.now();
        const since = this.doneSince.get(key);
        if (since === undefined || since.runs !== runs)
            this.doneSince.set(key, { at: now, runs });
        const leftMs = (this.deps.settleMs ?? MAP_SETTLE_MS) - (now - this.doneSince.get(key).at);
        if (leftMs <= 0)
            return observation;
        const why = `every member execution seen has ended; looking again in ${Math.ceil(leftMs / 1000)} s in case the map has not dispatched every member yet (a standalone run of a member looks the same)`;
        return { ...observation, state: 'running', rawStatus: 'Running', finishedAt: undefined, durationSeconds: undefined, end: undefined, progress: `${why}; ${observation.progress ?? ''}` };
    }
    mapHandle(target, since, knownIds) {
        return { kind: 'process-map', runId: `${target.processMapId}@${since ?? 'unknown'}`, since, knownIds };
    }
    // --- the Provider steps ----------------------------------------------------------------------
    async inFlight(target) {
        if (target.kind === 'task') {
            const task = await this.api.getTask(target.workspace, target.taskType, target.taskId, target.uat, 'baseline');
            if (!isRunningWord(task.status))
                return undefined;
            const isActive = (e) => e.endTime === null && isRunningWord(e.status);
            const running = (await this.readAll(target, 'baseline', (page) => page.some(isActive))).items.find(isActive);
            return {
                description: `task status ${task.status}${running ? `, execution ${running.executionId}` : ''}`,
                handle: running ? { kind: 'task', runId: String(running.executionId), executionId: running.executionId } : undefined,
            };
        }
        const map = await this.readMap(target, 'baseline');
        if (map.runningTasks + map.queuedTasks > 0) {
            // Busy. But a handle (what if-running: attach and mode wait follow) only when a member execution of the
            // map's last run is itself in flight: running counters may come from a standalone run of a member, and
            // attaching then would judge the map's last run, which may have ended long ago.
            const reads = await this.memberReads(target, await this.mapMembers(target, 'baseline'), 'baseline');
            const account = accountMapRun(reads, map.lastExecutionDate, undefined);
            const ownInFlight = account.runs.some((r) => !hasEnded(r.execution));
            return {
                description: `${map.runningTasks} task(s) running, ${map.queuedTasks} queued since ${map.lastExecutionDate ?? 'an unknown time'}` +
                    (ownInFlight ? '' : ' (no member execution of the last map run is in flight: a standalone run of a member, or members not dispatched yet)'),
                handle: ownInFlight ? this.mapHandle(target, map.lastExecutionDate) : undefined,
            };
        }
        // The map's last run has no member execution at all: it has not dispatched its members yet (the server
        // moves lastExecutionDate at once and dispatches a moment later, apis.md §1.5 #4), so it is in flight
        // although no counter shows it. Triggering now could queue our run behind it, and its members would look
        // like ours. (A last run that ran no member at all also lands here: busy is the safe reading.)
        if (map.lastExecutionDate !== null) {
            const reads = await this.memberReads(target, await this.mapMembers(target, 'baseline'), 'baseline');
            if (reads.length > 0 && accountMapRun(reads, map.lastExecutionDate, undefined).runs.length === 0) {
                return { description: `the process map's last run (${map.lastExecutionDate}) shows no member execution yet: its members are not dispatched yet` };
            }
        }
        // A map run this step may have started (its trigger's answer lost) moves lastExecutionDate at once but may
        // dispatch its members a moment later (apis.md §1.5 #4): until a member shows up it is in flight, not idle.
        const baseline = this.mapBaselines.get(mapKeyOf(target));
        if (baseline && map.lastExecutionDate !== baseline.lastExecutionDate) {
            const reads = await this.memberReads(target, await this.mapMembers(target, 'baseline'), 'baseline');
            const account = accountMapRun(reads, map.lastExecutionDate, baseline.knownIds);
            if (account.runs.length === 0) {
                return {
                    description: `the process map's last execution date moved to ${map.lastExecutionDate ?? 'empty'} but no member has been dispatched yet`,
                    handle: this.mapHandle(target, map.lastExecutionDate, baseline.knownIds),
                };
            }
        }
        return undefined;
    }
    async baseline(target) {
        if (target.kind === 'task') {
            const read = await this.readAll(target, 'baseline');
            this.recentHistory.set(taskKeyOf(target), read.items);
            const starts = read.items.map((e) => localTimeMs(e.startTime)).filter((ms) => ms !== undefined);
            if (!read.complete)
                this.deps.log.debug(`${target.label}: baseline history: ${read.note}`);
            return {
                kind: 'task',
                ids: new Set(read.items.map((e) => e.executionId)),
                complete: read.complete,
                latestStartMs: starts.length > 0 ? Math.max(...starts) : undefined,
            };
        }
        const map = await this.readMap(target, 'baseline');
        const knownIds = {};
        for (const read of await this.memberReads(target, await this.mapMembers(target), 'baseline')) {
            knownIds[memberKey(read.member)] = read.history.items.map((e) => e.executionId);
        }
        const baseline = { kind: 'process-map', lastExecutionDate: map.lastExecutionDate, knownIds };
        this.mapBaselines.set(mapKeyOf(target), baseline);
        return baseline;
    }
    async trigger(target) {
        try {
            if (target.kind === 'task')
                await this.api.triggerTask(target.workspace, target.taskType, target.taskId, target.uat);
            else
                await this.api.triggerProcessMap(target.workspace, target.processMapId, target.uat);
            return { kind: 'accepted' };
        }
        catch (error) {
            if (error instanceof http/* ApiError */.hD && error.status === 409) {
                const what = target.kind === 'task' ? 'the task is already running or queued' : 'the process map is already running';
                return { kind: 'already-running', message: `${what} (409${error.problem?.title ? `: ${error.problem.title}` : ''})` };
            }
            throw error;
        }
    }
    async find(target, baseline) {
        if (target.kind === 'task' && baseline.kind === 'task') {
            // Every page: with an oldest-first order or capped pages the new execution is not on page 1.
            const read = await this.readAll(target, 'find');
            const fresh = read.items.filter((e) => {
                if (baseline.ids.has(e.executionId))
                    return false;
                // A baseline cut short by the page bound may have missed old executions: only a start no earlier
                // than the baseline's latest one (less a clock change) is then new.
                if (baseline.complete || baseline.latestStartMs === undefined)
                    return true;
                const start = localTimeMs(e.startTime);
                return start === undefined || start >= baseline.latestStartMs - CLOCK_SHIFT_MS;
            });
            if (fresh.length > 0) {
                // Earliest start first: the trigger's own run is the likeliest first newcomer; the rest are reported.
                fresh.sort((a, b) => (localTimeMs(a.startTime) ?? Infinity) - (localTimeMs(b.startTime) ?? Infinity) || a.executionId - b.executionId);
                for (const e of fresh)
                    this.remember(target, e);
                const [first, ...rest] = fresh.map((e) => ({ kind: 'task', runId: String(e.executionId), executionId: e.executionId }));
                return { kind: 'found', handle: first, others: rest, identity: 'an execution of this task and environment whose id was not in the history read just before the trigger' };
            }
            const task = await this.api.getTask(target.workspace, target.taskType, target.taskId, target.uat, 'find');
            return isRunningWord(task.status)
                ? { kind: 'pending', accepted: true, reason: `the task is ${task.status} but no new execution is listed yet` }
                : { kind: 'pending', reason: `the task status is ${task.status ?? 'empty'}` };
        }
        if (target.kind === 'process-map' && baseline.kind === 'process-map') {
            const map = await this.readMap(target, 'find');
            const moved = map.lastExecutionDate !== baseline.lastExecutionDate;
            if (moved) {
                if (!this.firstMoved.has(baseline))
                    this.firstMoved.set(baseline, map.lastExecutionDate);
                const runStart = this.firstMoved.get(baseline) ?? map.lastExecutionDate;
                // A moved lastExecutionDate alone is not a start (defect: the server moves it at once and dispatches
                // the members a moment later). The run has started when a member execution of it is listed. Every
                // member execution not in the baseline counts, whatever lastExecutionDate says now: it may already
                // have moved on to a later run (a colleague's, queued behind ours), and ours must not be dropped.
                const reads = await this.memberReads(target, await this.mapMembers(target, 'find'), 'find');
                const account = accountMapRun(reads, runStart, baseline.knownIds);
                if (account.runs.length > 0) {
                    return {
                        kind: 'found',
                        handle: this.mapHandle(target, runStart, baseline.knownIds),
                        identity: `the process map's last execution date moved from ${baseline.lastExecutionDate ?? 'empty'} to ${runStart ?? 'empty'} ` +
                            `and ${account.runs.length} member execution(s) not in the baseline started since`,
                    };
                }
                return {
                    kind: 'pending',
                    accepted: true,
                    reason: `the process map's last execution date moved to ${map.lastExecutionDate ?? 'empty'}, but no member execution of this run is listed yet`,
                };
            }
            if (map.runningTasks + map.queuedTasks > 0) {
                return { kind: 'pending', accepted: true, reason: `the process map shows ${map.runningTasks} running and ${map.queuedTasks} queued task(s), but its last execution date is still ${map.lastExecutionDate ?? 'empty'}` };
            }
            return { kind: 'pending', reason: `the process map's last execution date is still ${map.lastExecutionDate ?? 'empty'}` };
        }
        throw new Error('baseline does not match the target');
    }
    async observe(target, handle) {
        if (target.kind === 'task' && handle.kind === 'task') {
            const execution = await this.executionById(target, handle.executionId);
            if (!execution) {
                return { state: 'unknown', rawStatus: '', progress: `execution ${handle.executionId} is not in the task's history`, notFound: true };
            }
            return this.remember(target, execution).observation;
        }
        if (target.kind === 'process-map' && handle.kind === 'process-map') {
            const { map, account } = await this.mapRun(target, handle, 'follow');
            this.lastAccounts.set(`${mapKeyOf(target)}#${handle.runId}`, account);
            const observation = mapObservation(map, account, 'follow');
            return this.settled(`${mapKeyOf(target)}#${handle.runId}`, observation, account.runs.length);
        }
        throw new Error('handle does not match the target');
    }
    /**
     * Several runs at once. Task runs of one workspace and environment are read from the dashboard
     * (GET /{workspace}/executions: one entry per task, its latest state; one request per page for all of
     * them). The dashboard has no execution ids and may lag the history (apis.md §1.11), so it is only
     * trusted to say "still going": an entry that shows an end, a later start than ours, or nothing, is
     * confirmed by reading our execution id from the task's history, and only that read ends a run. An entry
     * still showing an older execution is "no news" for up to DASHBOARD_STALE_MS, then the history is read.
     * Process maps, and a lone task of a workspace, are read one by one.
     */
    async observeMany(items) {
        const results = new Array(items.length);
        const groups = new Map();
        const direct = [];
        items.forEach(({ target, handle }, i) => {
            if (target.kind === 'task' && handle.kind === 'task') {
                const key = `${target.workspace}\u0000${target.uat}`;
                groups.set(key, [...(groups.get(key) ?? []), i]);
            }
            else {
                direct.push(i);
            }
        });
        for (const indices of groups.values()) {
            if (indices.length < 2) {
                direct.push(...indices);
                continue;
            }
            try {
                const confirm = await this.readDashboard(items, indices, results);
                direct.push(...confirm);
            }
            catch (error) {
                // The dashboard could not be read: read each run from its history instead (correctness first).
                this.deps.log.debug(`dashboard read failed (${error instanceof Error ? error.message : String(error)}); reading ${indices.length} runs one by one`);
                direct.push(...indices);
            }
        }
        await eachLimited(direct, CONFIRM_CONCURRENCY, async (i) => {
            try {
                results[i] = await this.observe(items[i].target, items[i].handle);
            }
            catch (error) {
                results[i] = error instanceof Error ? error : new Error(String(error));
            }
        });
        return results.map((r) => r ?? new Error('no status was read'));
    }
    /**
     * Fills `results` for the task runs at `indices` (one workspace and environment) from the dashboard, and
     * returns the indices whose state must be read from the history instead.
     */
    async readDashboard(items, indices, results) {
        const first = items[indices[0]].target;
        const wanted = new Set(indices.map((i) => taskKeyOf(items[i].target)));
        const entries = new Map();
        const seen = new Set();
        for (let page = 0; page < MAX_DASHBOARD_PAGES; page++) {
            const list = await this.api.listExecutionSummaries(first.workspace, first.uat, { limit: LIST_PAGE_SIZE, offset: page * LIST_PAGE_SIZE }, 'follow');
            let added = 0;
            for (const entry of list) {
                if (entry.taskId === null)
                    continue;
                const key = taskKeyOf({ workspace: first.workspace, uat: first.uat, taskType: entry.taskType, taskId: entry.taskId });
                if (!seen.has(key))
                    added++;
                seen.add(key);
                if (wanted.has(key))
                    entries.set(key, entry);
            }
            // Stop at the last page, at a page that adds nothing (a server ignoring offset), or once every run is found.
            if (list.length < LIST_PAGE_SIZE || added === 0 || entries.size === wanted.size)
                break;
        }
        const confirm = [];
        const now = this.deps.clock.now();
        for (const i of indices) {
            const target = items[i].target;
            const handle = items[i].handle;
            const known = this.known.get(runKeyOf(target, handle.executionId));
            const verdict = dashboardVerdict(entries.get(taskKeyOf(target)), known, now);
            if (verdict.kind === 'confirm') {
                confirm.push(i);
            }
            else if (verdict.kind === 'running') {
                if (known)
                    known.staleSince = undefined;
                results[i] = verdict.observation;
            }
            else {
                known.staleSince ??= now;
                results[i] = known.observation;
            }
        }
        return confirm;
    }
    /** Notes what the history says about one of our executions (its start and state), and returns it. */
    remember(target, e) {
        const run = { startMs: localTimeMs(e.startTime), observation: this.taskObservation(e) };
        this.known.set(runKeyOf(target, e.executionId), run);
        return run;
    }
    async failures(target, handle, _observation, sink, options) {
        if (target.kind === 'task' && handle.kind === 'task') {
            const execution = await this.executionById(target, handle.executionId);
            if (!execution)
                return [];
            return [await this.describeExecution(target.workspace, { taskType: target.taskType, taskId: target.taskId, taskName: target.taskName }, execution, sink, options)];
        }
        if (target.kind === 'process-map' && handle.kind === 'process-map') {
            const runs = (await this.mapRun(target, handle, 'follow')).account.runs;
            const failed = runs.filter((r) => executionState(r.execution) !== 'succeeded');
            const wanted = _observation.state === 'succeeded' ? runs : failed;
            const out = [];
            for (const run of wanted)
                out.push(await this.describeExecution(target.workspace, run.member, run.execution, sink, options));
            return out;
        }
        return [];
    }
    /** One execution as a FailedTask, its full log streamed to the sink. */
    async describeExecution(workspace, member, execution, sink, options) {
        const task = {
            name: member.taskName || memberKey(member),
            type: member.taskType,
            id: String(member.taskId),
            status: execution.status ?? '(no status)',
            startedAt: execution.startTime ?? undefined,
            finishedAt: execution.endTime ?? undefined,
            logExcerpt: [],
            errorLines: [],
        };
        if (!options.fetchLogs) {
            task.logNote = 'logs were not fetched (logs: never)';
            return task;
        }
        if (LOGLESS_TYPES.has(member.taskType)) {
            task.logNote = `${member.taskType} tasks keep no execution log in the API (it always answers an empty list); see the TimeXtender web application for the query result`;
            return task;
        }
        const title = `${workspace}/${memberKey(member)} (${member.taskName}) execution ${execution.executionId}: ${task.status}`;
        const kept = this.liveKept.get(`${workspace}/${memberKey(member)}#${execution.executionId}`);
        if (kept?.done && kept.whole) {
            // logs: live saw the whole log after the end: its lines are in the file already, and printed.
            const summary = kept.tail.summary();
            sink.note(`===== ${title} =====`);
            sink.note(`(its ${summary.count} log lines are above in this file, as printed live; not downloaded again)`);
            task.logExcerpt = summary.excerpt;
            task.errorLines = summary.errorLines;
            task.logLineCount = summary.count;
            if (summary.count === 0)
                task.logNote = 'the execution log is empty';
            return task;
        }
        const log = sink.open(title);
        let written = 0;
        let lastError;
        // A log cut off mid-way (or garbled) is fetched again from where it stopped: three times at most, and only
        // once more after an attempt that read nothing (the HTTP client has already retried the request itself).
        for (let attempt = 0; attempt < 3; attempt++) {
            const before = written;
            try {
                for await (const entry of this.api.executionLog(workspace, member.taskType, member.taskId, execution.executionId, written)) {
                    log.write(entryText(entry));
                    written++;
                }
                lastError = undefined;
                break;
            }
            catch (error) {
                lastError = error;
                if (written === before && attempt > 0)
                    break;
            }
        }
        const summary = log.finish();
        task.logExcerpt = summary.excerpt;
        task.errorLines = summary.errorLines;
        task.logLineCount = summary.count;
        if (lastError) {
            const reason = lastError instanceof Error ? lastError.message : String(lastError);
            task.logNote = summary.count > 0 ? `the log was cut off after ${summary.count} lines: ${reason}` : `the log could not be fetched: ${reason}`;
            sink.note(`(${task.logNote})`);
        }
        else if (summary.count === 0) {
            task.logNote = 'the execution log is empty';
        }
        return task;
    }
    /**
     * Live logs: one log read per execution of the run that is running, or that ended since its log was last
     * read (then it is done). A task run is its execution; a map run is the member executions its latest
     * status read accounted for (no extra status request). Query and CompareQuery logs are always empty: said
     * once per task. See live.ts for how a log without a cursor is followed.
     */
    async liveLog(target, handle, observation, from, line) {
        const cursor = tdpCursor(from);
        const notes = [];
        const warnings = [];
        let lines = 0;
        const items = [];
        if (target.kind === 'task' && handle.kind === 'task') {
            items.push({ member: { taskType: target.taskType, taskId: target.taskId, taskName: target.taskName }, executionId: handle.executionId, state: observation.state });
        }
        else if (target.kind === 'process-map' && handle.kind === 'process-map') {
            const account = this.lastAccounts.get(`${mapKeyOf(target)}#${handle.runId}`);
            for (const run of account?.runs ?? [])
                items.push({ member: run.member, executionId: run.execution.executionId, state: executionState(run.execution) });
        }
        for (const { member, executionId, state } of items) {
            const key = `${memberKey(member)}#${executionId}`;
            const label = `${memberName(member)} execution ${executionId}`;
            if (LOGLESS_TYPES.has(member.taskType)) {
                const once = `logless:${memberKey(member)}`;
                if (!cursor.said.includes(once)) {
                    cursor.said.push(once);
                    notes.push(`${label}: ${member.taskType} tasks keep no execution log in the API (it always answers an empty list)`);
                }
                continue;
            }
            const place = cursor.x[key];
            if (place?.done)
                continue;
            // A queued execution has written nothing yet; an unknown state is read (it may be running).
            if (state === 'queued')
                continue;
            const id = `${target.workspace}/${key}`;
            // What the failure details need (last lines, error lines), kept as the lines go by: bounded.
            let kept = this.liveKept.get(id);
            if (!kept)
                this.liveKept.set(id, (kept = { tail: new logs/* LogTail */.J(this.deps.settings.logLines), whole: true, done: false }));
            const tail = kept.tail;
            const read = await readExecutionLog((skip) => this.api.executionLog(target.workspace, member.taskType, member.taskId, executionId, skip), place, { id, label }, this.mask, (l) => {
                tail.add(l.text);
                return line(l);
            });
            lines += read.lines;
            if (read.note)
                (read.failed ? warnings : notes).push(read.note);
            // Rewritten or shortened: lines may come twice, so the kept lines are no longer the log.
            if (read.note && !read.failed)
                kept.whole = false;
            // Done once a read after the end went through whole (a rewritten log is read again next time).
            const complete = read.note === undefined && !read.place.scan;
            if (complete && (0,outcome/* isTerminal */.Hd)(state))
                kept.done = true;
            cursor.x[key] = { ...read.place, ...(complete && (0,outcome/* isTerminal */.Hd)(state) && { done: true }) };
        }
        return { cursor, lines, notes, warnings };
    }
    /**
     * Per execution (`workspace/taskType/taskId#executionId`), what its live read handed over: the failure
     * details reuse it instead of downloading the log again, when the live read saw the whole log once.
     */
    liveKept = new Map();
    /** Durations of the task's recent successful executions: the baseline's page when there was one, else one read. */
    async history(target) {
        if (target.kind !== 'task')
            return [];
        const items = this.recentHistory.get(taskKeyOf(target)) ?? (await this.readAll(target, 'baseline')).items;
        return items.filter((e) => executionState(e) === 'succeeded' && e.durationSeconds !== null).map((e) => e.durationSeconds);
    }
    async handleFor(target, runId) {
        if (target.kind === 'task') {
            if (!/^\d+$/.test(runId))
                throw new ResolveError(`run-id '${runId}' is not a TimeXtender execution id (digits, e.g. 97210)`);
            return { kind: 'task', runId, executionId: Number(runId) };
        }
        const match = /^(\d+)@(.+)$/.exec(runId);
        if (!match || Number(match[1]) !== target.processMapId) {
            throw new ResolveError(`run-id '${runId}' is not a run of process map ${target.processMapId} (expected ${target.processMapId}@<start time>)`);
        }
        return this.mapHandle(target, match[2] === 'unknown' ? null : match[2]);
    }
    async latest(target) {
        if (target.kind === 'task') {
            const read = await this.readAll(target, 'check');
            if (read.items.length === 0 && read.complete)
                return undefined;
            if (read.items.length === 0) {
                // Nothing readable, and no proof the history is empty: not a "never ran".
                const observation = { state: 'unknown', rawStatus: '', progress: read.note };
                return { handle: { kind: 'task', runId: 'unknown', executionId: -1 }, observation, history: { ok: false, detail: read.note } };
            }
            const pick = pickLatest(read.items);
            const chosen = pick.execution;
            const handle = { kind: 'task', runId: String(chosen.executionId), executionId: chosen.executionId };
            const observation = this.taskObservation(chosen);
            const history = read.complete ? { ok: true, detail: `${read.note}; ${pick.how}` } : { ok: false, detail: `${read.note}; the latest run cannot be told` };
            return { handle, observation, history, ...this.ageOf(observation.finishedAt) };
        }
        let { map, reads, account, observation } = await this.lastMapRun(target);
        if (!map.lastExecutionDate)
            return undefined;
        // A green last run whose every member execution ended within MAP_SETTLE_MS of the map's start may be
        // standalone runs of its members from before the map dispatched its own: look again once that has passed.
        const startMs = localTimeMs(map.lastExecutionDate);
        const endMs = localTimeMs(observation.finishedAt ?? null);
        const settleMs = this.deps.settleMs ?? MAP_SETTLE_MS;
        if (observation.state === 'succeeded' && startMs !== undefined && endMs !== undefined && endMs - startMs < settleMs) {
            await this.deps.clock.sleep(settleMs, this.deps.signal);
            const again = await this.lastMapRun(target);
            if (again.map.lastExecutionDate === map.lastExecutionDate)
                ({ map, reads, account, observation } = again);
            else
                observation = { ...observation, state: 'failed', rawStatus: 'Unproven', progress: `the map started another run while its last one was being confirmed; ${observation.progress ?? ''}` };
        }
        const handle = this.mapHandle(target, map.lastExecutionDate);
        const incomplete = reads.filter((r) => !r.history.complete);
        const pages = reads.reduce((n, r) => n + r.history.pages, 0);
        const history = incomplete.length === 0
            ? {
                ok: true,
                detail: `the map's last run started ${map.lastExecutionDate} (its lastExecutionDate); the histories of its ${reads.length} member(s) were read to their end (${pages} page(s)); ` +
                    `member executions from that start up to the run's end belong to it` +
                    (account.later.length > 0 ? `; ${account.later.length} later standalone execution(s) of members not counted` : ''),
            }
            : { ok: false, detail: `the history of ${incomplete.map((r) => memberKey(r.member)).join(', ')} could not be read to its end (${incomplete[0].history.note})` };
        return { handle, observation, history, ...this.ageOf(observation.finishedAt) };
    }
    /** The map's last run (from its lastExecutionDate), as check mode judges it. */
    async lastMapRun(target) {
        const map = await this.readMap(target, 'check');
        const members = await this.mapMembers(target, 'check', true);
        const reads = await this.memberReads(target, members, 'check');
        const account = accountMapRun(reads, map.lastExecutionDate, undefined);
        return { map, reads, account, observation: mapObservation(map, account, 'check') };
    }
    /**
     * How long ago a server-local time was, on the platform's clock. "Now" is the server's `Date` header (UTC);
     * the local time is turned into UTC with `server-time-zone`. Without it the zone is unknown, and the age is
     * taken as if the server were at UTC+14, the zone furthest ahead: the longest the age can be, so a stale
     * load never passes max-age (a fresh one may fail; setting server-time-zone makes it exact).
     */
    ageOf(localEnd) {
        const endAsUtc = localTimeMs(localEnd ?? null);
        if (endAsUtc === undefined)
            return {};
        const now = this.deps.http.serverNow() ?? this.deps.clock.now();
        const zone = this.deps.settings.serverTimeZone;
        if (!zone) {
            return {
                ageMs: now - (endAsUtc - 14 * 3_600_000),
                ageNote: 'measured as if the server were at UTC+14, the zone furthest ahead, because its local times carry no offset; set server-time-zone for the exact age',
            };
        }
        // A local time names one instant, two (the repeated hour when clocks go back) or none (the skipped hour
        // when they go forward). Of the instants it may name, the earliest gives the longest age: a stale load
        // never passes max-age across a clock change.
        const offsets = new Set([-86_400_000, 0, 86_400_000].map((shift) => zoneOffsetMs(zone, endAsUtc + shift)));
        const instants = [...offsets].map((offset) => endAsUtc - offset);
        const valid = instants.filter((utc) => utc + zoneOffsetMs(zone, utc) === endAsUtc);
        const earliest = Math.min(...(valid.length > 0 ? valid : instants));
        return {
            ageMs: now - earliest,
            ...(valid.length > 1 ? { ageNote: `measured from the earlier of the two instants ${localEnd} names in ${zone} (clocks went back)` } : {}),
        };
    }
}
/**
 * What a dashboard entry says about our execution. Never "ended": an end is always confirmed from the history.
 * - no entry, or nothing known about our run: confirm;
 * - an entry started after ours: ours has ended (or was superseded): confirm;
 * - our start: in progress (queued, running, an unknown word without an end) is still going; an end: confirm;
 * - an older start, or none: the dashboard has not caught up with our run (it lags the history): no news,
 *   until it has lagged DASHBOARD_STALE_MS, then confirm.
 */
function dashboardVerdict(entry, known, now) {
    if (!entry || !known || known.startMs === undefined || (0,outcome/* isTerminal */.Hd)(known.observation.state))
        return { kind: 'confirm' };
    const shown = localTimeMs(entry.lastStartTime);
    const ours = known.startMs;
    if (shown !== undefined && shown > ours + SAME_START_MS)
        return { kind: 'confirm' };
    if (shown !== undefined && Math.abs(shown - ours) <= SAME_START_MS) {
        const state = (0,outcome/* normalizeStatus */.SP)(TIMEXTENDER_STATUS, entry.status, entry.lastEndTime !== null);
        if ((0,outcome/* isTerminal */.Hd)(state))
            return { kind: 'confirm' };
        return { kind: 'running', observation: { ...known.observation, state, rawStatus: entry.status ?? '' } };
    }
    const lagging = known.staleSince === undefined ? 0 : now - known.staleSince;
    return lagging >= DASHBOARD_STALE_MS ? { kind: 'confirm' } : { kind: 'no-news' };
}
function mapKeyOf(t) {
    return `${t.workspace}\u0000${t.uat}\u0000${t.processMapId}`;
}
function startMs(e) {
    // No start (yet): as recent as can be, so it is never taken for an older execution.
    return localTimeMs(e.startTime) ?? Number.POSITIVE_INFINITY;
}
function hasEnded(e) {
    return e.endTime !== null && (0,outcome/* isTerminal */.Hd)(executionState(e));
}
/**
 * With `knownIds` (the baseline of this step, for a run it triggered), conservatively: the run has been seen
 * once a member execution started at or after `since` (the map's lastExecutionDate when the run was found),
 * and from then on EVERY member execution not in the baseline is judged, whatever its start: the map's date
 * may already name a later run (a colleague's, queued behind ours), and a standalone run of a member between
 * the baseline and the dispatch cannot be told from a member of this run. Every member that is not disabled
 * must have an execution from `since` on. A failure of any of them is not green (a false red is possible when
 * a standalone member run fails; a false green is not).
 *
 * Otherwise (a run followed by attach or wait), the member executions of the map run that started at `since`
 * (the map's lastExecutionDate). A map run runs
 * each member once, so each member's first execution from that start on is its execution in this run; once
 * every one of those has ended, the run's end is the latest of their ends, and executions that started after
 * it are standalone runs of the member (a user, a schedule), not part of this run. Executions started between
 * the run's start and end that are not a member's first are kept (they cannot be told apart: conservative).
 * With `knownIds` (the baseline of this step), executions listed before the trigger never belong to it.
 */
function accountMapRun(reads, since, knownIds) {
    const sinceMs = localTimeMs(since);
    if (knownIds !== undefined)
        return accountSinceBaseline(reads, sinceMs, knownIds);
    const candidates = [];
    for (const { member, history } of reads) {
        const list = history.items
            .filter((e) => sinceMs !== undefined && startMs(e) >= sinceMs - SAME_START_MS)
            .sort((a, b) => startMs(a) - startMs(b) || a.executionId - b.executionId)
            .map((execution) => ({ member, execution }));
        candidates.push(list);
    }
    const firsts = candidates.filter((list) => list.length > 0).map((list) => list[0]);
    const allEnded = firsts.length > 0 && firsts.every((m) => hasEnded(m.execution));
    let endMs;
    let lastEnd;
    if (allEnded) {
        for (const { execution } of firsts) {
            const ms = localTimeMs(execution.endTime);
            if (ms !== undefined && (endMs === undefined || ms > endMs)) {
                endMs = ms;
                lastEnd = execution.endTime;
            }
        }
    }
    const runs = [];
    const later = [];
    for (const list of candidates) {
        list.forEach((m, i) => {
            if (i > 0 && endMs !== undefined && startMs(m.execution) > endMs + SAME_START_MS)
                later.push(m);
            else
                runs.push(m);
        });
    }
    const missing = reads.filter((r, i) => !r.member.disabled && candidates[i].length === 0).map((r) => r.member);
    const everyRunEnded = runs.length > 0 && runs.every((m) => hasEnded(m.execution));
    return { runs, later, missing, lastEnd: everyRunEnded ? lastEnd : undefined, ambiguous: ambiguousMembers(runs) };
}
/** accountMapRun for a run this step triggered: every member execution not in the baseline (see above). */
function accountSinceBaseline(reads, sinceMs, knownIds) {
    const fromRunStart = (e) => sinceMs === undefined || startMs(e) >= sinceMs - SAME_START_MS;
    const runs = [];
    const missing = [];
    let seen = false;
    for (const { member, history } of reads) {
        const known = new Set(knownIds[memberKey(member)] ?? []);
        const fresh = history.items.filter((e) => !known.has(e.executionId));
        for (const execution of fresh)
            runs.push({ member, execution });
        if (fresh.some(fromRunStart))
            seen = true;
        else if (!member.disabled)
            missing.push(member);
    }
    if (!seen)
        return { runs: [], later: [], missing, lastEnd: undefined, ambiguous: [] };
    runs.sort((a, b) => startMs(a.execution) - startMs(b.execution) || a.execution.executionId - b.execution.executionId);
    const everyRunEnded = runs.every((m) => hasEnded(m.execution));
    let lastEnd;
    if (everyRunEnded) {
        for (const { execution } of runs) {
            if ((localTimeMs(execution.endTime) ?? -Infinity) > (localTimeMs(lastEnd ?? null) ?? -Infinity))
                lastEnd = execution.endTime;
        }
    }
    return { runs, later: [], missing, lastEnd, ambiguous: ambiguousMembers(runs) };
}
function ambiguousMembers(runs) {
    const count = new Map();
    for (const { member } of runs) {
        const entry = count.get(memberKey(member)) ?? { member, n: 0 };
        entry.n++;
        count.set(memberKey(member), entry);
    }
    return [...count.values()].filter((e) => e.n > 1).map((e) => e.member);
}
const memberName = (m) => `${memberKey(m)}${m.taskName ? ` (${m.taskName})` : ''}`;
/**
 * One observation of a map run from its member executions and the map's own counters. Green only on proof:
 * at least one member execution of this run seen, every one ended, none failed or cancelled, every member
 * that is not disabled ran, and the map's counters agree (no failed, running or queued task). Every state is
 * reached by an explicit condition; what is not proven stays in progress (`follow`) or fails (`check`).
 */
function mapObservation(map, account, mode) {
    const states = account.runs.map((r) => executionState(r.execution));
    const count = (...wanted) => states.filter((s) => wanted.includes(s)).length;
    const ended = account.runs.filter((r) => hasEnded(r.execution)).length;
    const failed = count('failed');
    const cancelled = count('cancelled');
    const succeeded = account.runs.filter((r) => hasEnded(r.execution) && executionState(r.execution) === 'succeeded').length;
    const inFlight = account.runs.length - ended;
    const idle = map.runningTasks + map.queuedTasks === 0;
    const counters = `map counters: failedTasks ${map.failedTasks}, runningTasks ${map.runningTasks}, queuedTasks ${map.queuedTasks}`;
    const laterNote = account.later.length > 0 ? `; ${account.later.length} later standalone execution(s) of members not counted` : '';
    const missingNote = account.missing.length > 0 ? `; no execution in this run of ${account.missing.map(memberName).join(', ')}` : '';
    const tally = `${ended} of ${account.runs.length} member execution(s) of this run ended (${succeeded} Finished, ${failed} failed, ${cancelled} cancelled)`;
    const ambiguousNote = account.ambiguous.length > 0
        ? `; ${account.ambiguous.map(memberName).join(', ')} ran more than once during this run (another run of the task overlapped it): which execution is the map's cannot be told`
        : '';
    const membersOk = account.runs.length > 0 &&
        inFlight === 0 &&
        succeeded === account.runs.length &&
        account.missing.length === 0 &&
        account.ambiguous.length === 0 &&
        map.failedTasks === 0 &&
        idle;
    const members = {
        ok: membersOk,
        detail: account.runs.length === 0 ? `no member execution of this run seen yet; ${counters}` : `${tally}; ${counters}${missingNote}${laterNote}${ambiguousNote}`,
    };
    const starts = account.runs.map((r) => r.execution.startTime).filter((t) => !!t);
    const startedAt = map.lastExecutionDate ?? [...starts].sort()[0];
    const base = { startedAt: startedAt ?? undefined, members, progress: `${tally}; ${counters}${missingNote}` };
    const inProgress = (why) => {
        const running = count('running') > 0 || map.runningTasks > 0;
        return { ...base, state: running ? 'running' : 'queued', rawStatus: running ? 'Running' : 'Queued', progress: `${why}; ${base.progress}` };
    };
    const finished = (state, rawStatus) => {
        const finishedAt = account.lastEnd;
        const s = localTimeMs(startedAt ?? null);
        const e = localTimeMs(finishedAt ?? null);
        return {
            ...base,
            state,
            rawStatus,
            finishedAt,
            durationSeconds: s !== undefined && e !== undefined ? Math.max(0, Math.round((e - s) / 1000)) : undefined,
            end: finishedAt !== undefined ? `every member execution of this run ended, the last at ${finishedAt}` : undefined,
        };
    };
    if (account.runs.length === 0) {
        if (mode === 'check')
            return finished('failed', 'NoMemberRun');
        return inProgress('no member execution of this run is listed yet');
    }
    if (inFlight > 0)
        return inProgress(`${inFlight} member execution(s) of this run still in progress`);
    // Every member execution of this run has ended from here on.
    if (!idle) {
        // The counters still show work although every member execution of this run ended: a member not yet
        // dispatched, or a later standalone run of a member. A failure of this run is already final in check mode.
        if (mode === 'check' && failed > 0)
            return finished('failed', 'Failed');
        return inProgress('every member execution of this run seen has ended, but the map still shows running or queued tasks (a member not yet dispatched, or a standalone run of a member)');
    }
    if (failed > 0)
        return finished('failed', 'Failed');
    if (cancelled > 0)
        return finished('cancelled', 'Cancelled');
    if (map.failedTasks > 0)
        return finished('failed', 'Failed');
    if (account.missing.length > 0) {
        if (mode === 'follow')
            return inProgress('waiting for members that have not run yet');
        return finished('failed', 'Incomplete');
    }
    // Every execution ended and succeeded, but a member ran more than once: nothing proves which one the map ran.
    if (account.ambiguous.length > 0)
        return finished('failed', 'Ambiguous');
    if (membersOk && succeeded === account.runs.length)
        return finished('succeeded', 'Finished');
    return mode === 'follow' ? inProgress('the run is not proven ended') : finished('failed', 'Unproven');
}
// --- check mode: which execution is the latest ------------------------------------------------------
/**
 * The latest execution of a task by what the server says (apis.md §1.5 #9: "newest first"), never by re-sorting
 * server-local text (local times repeat when clocks go back, §1.11):
 * - an execution with no end time anywhere in the list: the latest run is in flight;
 * - the server's order agrees with the start times: its first execution;
 * - otherwise the order may be off (oldest first, running last, shuffled) or the start times may cross a clock
 *   change: every execution that could be the latest (a start within CLOCK_SHIFT_MS of the latest start text,
 *   and the server's first) is judged, and the check is green only if all of them succeeded. The one returned
 *   is a non-success if there is one, else the one that ended first (the oldest age).
 */
function pickLatest(items) {
    const running = items.find((e) => !hasEnded(e));
    if (running) {
        return { execution: running, how: `execution ${running.executionId} has not ended: the latest run is in flight` };
    }
    let inversionMs = 0;
    let minBefore = Number.POSITIVE_INFINITY;
    for (const e of items) {
        const t = localTimeMs(e.startTime);
        if (t === undefined)
            continue;
        if (minBefore !== Number.POSITIVE_INFINITY)
            inversionMs = Math.max(inversionMs, t - minBefore);
        minBefore = Math.min(minBefore, t);
    }
    if (inversionMs <= 0) {
        return { execution: items[0], how: 'newest first as documented, and the server kept that order' };
    }
    const maxStart = Math.max(...items.map((e) => localTimeMs(e.startTime) ?? Number.NEGATIVE_INFINITY));
    const candidates = items.filter((e, i) => {
        const t = localTimeMs(e.startTime);
        return i === 0 || t === undefined || t >= maxStart - CLOCK_SHIFT_MS;
    });
    const bad = candidates.find((e) => executionState(e) !== 'succeeded');
    const why = inversionMs > CLOCK_SHIFT_MS
        ? `the server's order contradicts the start times by ${Math.round(inversionMs / 60_000)} min, more than a clock change explains, so it is not trusted`
        : `the server's order contradicts the start times by ${Math.round(inversionMs / 60_000)} min (a clock change may explain it)`;
    const ids = candidates.map((e) => e.executionId).join(', ');
    if (bad) {
        return { execution: bad, how: `${why}; ${candidates.length} execution(s) could be the latest (${ids}) and ${bad.executionId} did not succeed` };
    }
    const oldest = [...candidates].sort((a, b) => (localTimeMs(a.endTime) ?? 0) - (localTimeMs(b.endTime) ?? 0))[0];
    return { execution: oldest, how: `${why}; every execution that could be the latest (${ids}) succeeded; the age is that of ${oldest.executionId}` };
}
function taskKeyOf(t) {
    return `${t.workspace}\u0000${t.uat}\u0000${t.taskType}/${t.taskId}`;
}
function runKeyOf(target, executionId) {
    return `${taskKeyOf(target)}#${executionId}`;
}
/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachLimited(items, limit, fn) {
    let next = 0;
    const worker = async () => {
        while (next < items.length)
            await fn(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
class ResolveError extends Error {
}
/** The offset of a zone (IANA name or `+01:00`) from UTC at an instant, in ms. */
function zoneOffsetMs(zone, utcMs) {
    const fixed = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    if (fixed)
        return (fixed[1] === '-' ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000;
    if (/^(Z|UTC)$/i.test(zone))
        return 0;
    const parts = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
    }).formatToParts(new Date(utcMs));
    const get = (type) => Number(parts.find((p) => p.type === type)?.value);
    const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
    return wall - Math.floor(utcMs / 1000) * 1000;
}
/** Exactly one match by name (exact, then case-insensitive); otherwise an error listing close matches. */
function chooseByName(items, wanted, nameOf, idOf, what, workspace) {
    let hits = items.filter((t) => nameOf(t) === wanted);
    if (hits.length === 0)
        hits = items.filter((t) => nameOf(t).toLowerCase() === wanted.toLowerCase());
    if (hits.length === 1)
        return hits[0];
    if (hits.length > 1) {
        throw new ResolveError(`${hits.length} ${what}s in workspace '${workspace}' are named '${wanted}' (${hits.map(idOf).join(', ')}): use the id instead`);
    }
    const close = items
        .map((t) => ({ t, d: (0,names/* editDistance */.Y)(nameOf(t).toLowerCase(), wanted.toLowerCase()) }))
        .filter((x) => x.d <= Math.max(3, Math.floor(wanted.length / 3)) || nameOf(x.t).toLowerCase().includes(wanted.toLowerCase()))
        .sort((a, b) => a.d - b.d)
        .slice(0, 5)
        .map((x) => `'${nameOf(x.t)}' (${idOf(x.t)})`);
    throw new ResolveError(`no ${what} named '${wanted}' in workspace '${workspace}' (or not visible to this key). ${suggest(close)}`);
}
function suggest(candidates) {
    return candidates.length > 0 ? `Close matches: ${candidates.slice(0, 5).join(', ')}` : 'Nothing similar is visible to this key.';
}
const timextenderModule = {
    platform: 'timextender',
    authHeaders: (apiKey) => ({ 'X-API-Key': apiKey }),
    create: (deps) => new TimextenderProvider(deps),
};


/***/ })

};
