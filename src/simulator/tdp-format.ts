/** Wire formats of the TDP API that need care: local timestamps without offset, and duration text. */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * 'YYYY-MM-DDTHH:mm:ss' in the server's zone, with NO offset (apis.md §1.11: "local time without an offset,
 * and whose local time is unknown"). Around a DST fall-back the same local time appears twice.
 */
export function formatServerLocal(epochMs: number, timeZone: string): string {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(epochMs))) parts[part.type] = part.value;
  const hour = parts.hour === '24' ? '00' : parts.hour;
  return `${parts.year}-${parts.month}-${parts.day}T${hour}:${parts.minute}:${parts.second}`;
}

/** Whole seconds between two instants as the timestamps show them (so 22:00:05 → 22:01:32 is 87). */
export function wholeSecondsBetween(startMs: number, endMs: number): number {
  return Math.max(0, Math.floor(endMs / 1000) - Math.floor(startMs / 1000));
}

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * The dashboard's human duration (apis.md §1.6): "01m 27s", "03s". The format for hours is unknown (doc);
 * we emit "1h 02m 03s".
 */
export function durationText(totalSeconds: number): string {
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return `${hours}h ${two(minutes)}m ${two(seconds)}s`;
  if (minutes > 0) return `${two(minutes)}m ${two(seconds)}s`;
  return `${two(seconds)}s`;
}
