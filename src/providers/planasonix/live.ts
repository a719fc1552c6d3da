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
import { splitLines } from '../../core/untrusted.js';
import type { LiveLine } from '../../core/provider.js';

export interface PlxLiveCursor {
  [key: string]: unknown;
  v: 1;
  /** The server's cursor for the next read, when it handed one out. */
  c?: string;
  /** ISO time of the last line handed over that carried one, and how many lines handed over carried it. */
  t?: string;
  k?: number;
  /** Lines handed over in all. */
  n: number;
  /** The run had ended when its log was last read whole: nothing more will come. */
  done?: boolean;
  said: string[];
}

export function plxCursor(cursor: { readonly [key: string]: unknown } | undefined): PlxLiveCursor {
  if (cursor && cursor.v === 1 && typeof cursor.n === 'number' && Array.isArray(cursor.said)) {
    return { ...(cursor as PlxLiveCursor), said: [...(cursor.said as string[])] };
  }
  return { v: 1, n: 0, said: [] };
}

/** A leading ISO time (`2026-03-15T08:31:02.120Z …`), as text and layouts of structured entries start. */
const LEADING_TIME = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)\s/;
/** `time LEVEL [node] …` (formatLogEntry, and the text format): the node a line belongs to. */
const NODE = /^\S+\s+[A-Za-z]+\s+\[([^\]\s]{1,200})\]/;

function timeOf(line: string): { text: string; ms: number } | undefined {
  const match = LEADING_TIME.exec(line);
  if (!match) return undefined;
  const text = match[1]!;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : { text, ms };
}

export interface RunLogRead {
  cursor: PlxLiveCursor;
  lines: number;
  note?: string;
}

/**
 * One live read of a run's log. `page(since, answer)` is one request (PlanasonixApi.runLogPage); `mask` is
 * the log file's masker. A read that fails is a note; the cursor keeps what was handed over before it.
 */
export async function readRunLog(
  page: (since: string | undefined, answer: { next?: string | null }) => AsyncIterable<string>,
  from: PlxLiveCursor,
  run: { id: string; label: string },
  mask: (text: string) => string,
  emit: (line: LiveLine) => void | Promise<void>,
): Promise<RunLogRead> {
  const cursor: PlxLiveCursor = { ...from, said: [...from.said] };
  let since: string | undefined;
  // What to skip at the start of the answer: nothing with the server's cursor; lines before (and the first
  // k at) the last time with a time; the first n lines without either.
  let skipBefore: number | undefined;
  let skipAtTime = 0;
  let skipCount = 0;
  if (from.c !== undefined) since = from.c;
  else if (from.t !== undefined) {
    const at = timeOf(`${from.t} `)!;
    since = new Date(at.ms - 1).toISOString();
    skipBefore = at.ms;
    skipAtTime = from.k ?? 0;
  } else skipCount = from.n;
  const answer: { next?: string | null } = {};
  let lines = 0;
  try {
    for await (const raw of page(since, answer)) {
      if (skipCount > 0) {
        skipCount--;
        continue;
      }
      const time = timeOf(raw);
      if (skipBefore !== undefined && time !== undefined) {
        if (time.ms < skipBefore) continue;
        if (time.ms === skipBefore && skipAtTime > 0) {
          skipAtTime--;
          continue;
        }
        skipBefore = undefined;
      }
      const node = NODE.exec(raw)?.[1];
      const source = node ? { id: `run/${run.id}/node/${node}`, label: `${run.label} › node ${node}` } : { id: `run/${run.id}`, label: run.label };
      for (const text of splitLines(mask(raw))) {
        const drained = emit({ source: source.id, label: source.label, text });
        if (drained) await drained;
      }
      lines++;
      cursor.n++;
      if (time) {
        if (cursor.t !== undefined && timeOf(`${cursor.t} `)?.ms === time.ms) cursor.k = (cursor.k ?? 0) + 1;
        else {
          cursor.t = time.text;
          cursor.k = 1;
        }
      }
    }
  } catch (error) {
    // The server's cursor of a broken answer is unknown: go on from the last time (or count) handed over.
    delete cursor.c;
    const reason = error instanceof Error ? error.message : String(error);
    return { cursor, lines, note: `the log of ${run.label} could not be read (${reason}); the next read resumes after line ${cursor.n}` };
  }
  if (typeof answer.next === 'string' && answer.next !== '') cursor.c = answer.next;
  // No cursor this time (or "none"): the old one would hand these lines over again; go on by time or count.
  else if (lines > 0) delete cursor.c;
  return { cursor, lines };
}
