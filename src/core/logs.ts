/**
 * The step's log file: every log line of every failed task goes here in full, while only the last
 * `log-lines` lines of each task are kept in memory for printing. Writes are synchronous and buffered so a
 * 200,000-line log streams through in flat memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { secretMasker } from './untrusted.js';

/** Lines that look like errors become annotations (a few per task). */
const ERROR_LINE = /\b(ERROR|FATAL|Exception)\b/;
const MAX_ERROR_LINES_PER_TASK = 5;
const FLUSH_BYTES = 64 * 1024;

export interface TaskLogSummary {
  excerpt: string[];
  errorLines: string[];
  count: number;
}

export interface TaskLog {
  write(line: string): void;
  finish(): TaskLogSummary;
}

export interface LogSink {
  readonly path: string;
  /** Starts a section of the file for one task's log. */
  open(title: string): TaskLog;
  /** A free line in the file (e.g. a note that a log could not be fetched). */
  note(line: string): void;
}

/**
 * What a task's summary needs from its log, kept while the lines go by: the last `tailLines` lines in a ring
 * (constant work per line, however long the log), the first error lines, and the count. Bounded memory.
 */
export class LogTail {
  private readonly ring: string[];
  private readonly errors: string[] = [];
  private count = 0;

  constructor(private readonly tailLines: number) {
    this.ring = new Array<string>(Math.max(0, tailLines));
  }

  /** One line, already masked. */
  add(line: string): void {
    if (this.tailLines > 0) this.ring[this.count % this.tailLines] = line;
    this.count++;
    if (this.errors.length < MAX_ERROR_LINES_PER_TASK && ERROR_LINE.test(line)) this.errors.push(line);
  }

  summary(): TaskLogSummary {
    const kept = Math.min(this.count, this.tailLines);
    const excerpt = Array.from({ length: kept }, (_, i) => this.ring[(this.count - kept + i) % this.tailLines]!);
    return { excerpt, errorLines: this.errors.slice(), count: this.count };
  }
}

export class LogFile implements LogSink {
  private fd: number | undefined;
  private buffer: string[] = [];
  private bufferedBytes = 0;

  /**
   * Cleans everything written: control characters and escape sequences removed first, then the key masked
   * (a server may echo it in a log line, even split by a colour code). CI commands are broken where lines
   * are printed; the file is read by people, not by a runner.
   */
  private readonly mask: (line: string) => string;

  constructor(
    readonly path: string,
    private readonly tailLines: number,
    secrets: readonly string[] = [],
  ) {
    this.mask = secretMasker(secrets);
  }

  open(title: string): TaskLog {
    this.append(this.mask(`===== ${title} =====`));
    const tail = new LogTail(this.tailLines);
    return {
      write: (raw: string) => {
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

  note(line: string): void {
    this.append(this.mask(line));
    this.flush();
  }

  /** One line written as it comes (live logs): buffered like a task's log, so a long log streams through. */
  line(line: string): void {
    this.append(this.mask(line));
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private append(line: string): void {
    this.buffer.push(line, '\n');
    this.bufferedBytes += line.length + 1;
    if (this.bufferedBytes >= FLUSH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    this.fd ??= openSync(this.path, 'a', 0o600);
    writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
    this.bufferedBytes = 0;
  }
}
