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
import { createHash } from 'node:crypto';
import { splitLines } from '../../core/untrusted.js';
import type { LiveLine } from '../../core/provider.js';
import type { LogEntry } from './api.js';

/** Where the live read of one execution's log stands (plain JSON, inside the provider's cursor). */
export interface ExecutionLogPlace {
  /** Entries handed over so far (the index of the next one). */
  n: number;
  /** Fingerprint of the last entry handed over (time and text). */
  h?: string;
  /** The execution had ended when its log was last read: nothing more will come. */
  done?: boolean;
  /**
   * The last read did not find the last entry handed over where it was: the next read scans the log from its
   * start (each entry fingerprinted) to find where it went. Otherwise a read skips, unparsed, the entries
   * before the last one handed over.
   */
  scan?: boolean;
}

/** The cursor of a TimeXtender live read. */
export interface TdpLiveCursor {
  [key: string]: unknown;
  v: 1;
  /** Per execution (`taskType/taskId#executionId`). */
  x: Record<string, ExecutionLogPlace>;
  /** Things already said once (e.g. a Query task's empty log). */
  said: string[];
}

export function tdpCursor(cursor: { readonly [key: string]: unknown } | undefined): TdpLiveCursor {
  if (cursor && cursor.v === 1 && typeof cursor.x === 'object' && cursor.x !== null && Array.isArray(cursor.said)) {
    // A copy: the caller's cursor is never changed.
    const x: Record<string, ExecutionLogPlace> = {};
    for (const [key, place] of Object.entries(cursor.x as Record<string, ExecutionLogPlace>)) x[key] = { ...place };
    return { v: 1, x, said: [...(cursor.said as string[])] };
  }
  return { v: 1, x: {}, said: [] };
}

/** The text of one entry, as the failure logs write it. */
export function entryText(entry: LogEntry): string {
  return entry.logTime ? `${entry.logTime} ${entry.log}` : entry.log;
}

function fingerprint(entry: LogEntry): string {
  return createHash('sha256').update(`${entry.logTime ?? ''}\u0000${entry.log}`).digest('hex').slice(0, 24);
}

export interface ExecutionLogRead {
  place: ExecutionLogPlace;
  lines: number;
  /** Something to say once: the read failed (`failed`), or the log was rewritten or shortened. */
  note?: string;
  /** The read failed (a warning); else a note is information (the log was rewritten or shortened). */
  failed?: boolean;
}

/**
 * Reads one execution's log once from `place` and hands over the new entries, one LiveLine per printed line.
 * `mask` is the log file's masker (control characters removed, the key masked). A read that fails is a note
 * and keeps the place reached (what was handed over before the failure stays handed over).
 */
export async function readExecutionLog(
  entries: (skip: number) => AsyncIterable<LogEntry>,
  from: ExecutionLogPlace | undefined,
  source: { id: string; label: string },
  mask: (text: string) => string,
  emit: (line: LiveLine) => void | Promise<void>,
): Promise<ExecutionLogRead> {
  const prev: ExecutionLogPlace = from ? { n: from.n, ...(from.h !== undefined && { h: from.h }) } : { n: 0 };
  let place: ExecutionLogPlace = { ...prev };
  let lines = 0;
  // 'check': skipping what was handed over; 'append': handing over; 'lost': the last entry is not where it was.
  let mode: 'check' | 'append' | 'lost' = prev.n === 0 || prev.h === undefined ? 'append' : 'check';
  // Unless the last read lost its place, the entries before the last one handed over are not even parsed.
  const skip = mode === 'check' && !from?.scan ? prev.n - 1 : 0;
  let foundAt = -1;
  let index = skip;
  let total = 0;
  // The fingerprint of the last entry handed over is taken once, at the end.
  let last: LogEntry | undefined;
  const reached = (): ExecutionLogPlace => (last ? { n: index, h: fingerprint(last) } : place);
  try {
    for await (const entry of entries(skip)) {
      total = index + 1;
      if (mode === 'check') {
        const same = fingerprint(entry) === prev.h;
        if (index < prev.n - 1) {
          if (same && foundAt < 0) foundAt = index;
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
        if (foundAt >= 0) break;
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
      for (const text of splitLines(mask(entryText(entry)))) {
        const drained = emit({ source: source.id, label: source.label, text });
        lines++;
        if (drained) await drained;
      }
      index++;
      last = entry;
    }
  } catch (error) {
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
  if (mode === 'check') mode = 'lost'; // the log ended before the last entry handed over: it was shortened
  if (mode !== 'lost') return { place, lines };
  // Skipped unparsed, the entries before could not be searched: the next read scans the log from its start.
  if (skip > 0 && foundAt < 0) return { place: { ...prev, scan: true }, lines };
  const now = mode === 'lost' && total < prev.n ? `shortened to ${total} entries (${prev.n} were read before)` : 'rewritten';
  if (foundAt >= 0) {
    return {
      place: { n: foundAt + 1, h: prev.h! },
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
