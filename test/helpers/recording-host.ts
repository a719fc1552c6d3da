/**
 * The one recording Host of the tests: it prints like the real hosts (masks the secrets registered so far,
 * then neutralizes) and records every call in order, so a test can check what was printed, what
 * was written, and that the key was registered first. (test/github/recording-core.ts is a stand-in for
 * `@actions/core`, a different thing.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Annotation, Host, OutputName } from '../../src/core/host.js';
import type { CiContext } from '../../src/core/settings.js';
import { maskSecrets, neutralize } from '../../src/core/untrusted.js';

/** A printed line. */
export interface RecordedLine {
  level: 'info' | 'warning' | 'error' | 'debug' | 'group';
  text: string;
  title?: string;
}

/** One call on the host, in order. */
export interface HostCall {
  method: RecordedLine['level'] | 'setOutput' | 'setSecret' | 'writeSummary' | 'saveState';
  /** A printed text as a real host would print it (masked, then neutralized); the name for setOutput and saveState; empty otherwise. */
  text: string;
  title?: string;
}

const PRINTED: ReadonlySet<HostCall['method']> = new Set(['info', 'warning', 'error', 'debug', 'group']);

export const TEST_CI: CiContext = { system: 'cli', runUrl: 'https://ci.example/run/1', runId: '1', attempt: '1', commit: 'abc123', actor: 'tester' };

export class RecordingHost implements Host {
  readonly name = 'cli' as const;
  readonly calls: HostCall[] = [];
  readonly outputs = new Map<OutputName, string>();
  readonly secrets: string[] = [];
  readonly state = new Map<string, string>();
  /** The summary as written; undefined until it is. */
  summary: string | undefined;
  /** Replace to make writeSummary fail (crash-safety tests). */
  summaryWriter: (markdown: string) => Promise<void> = async (markdown) => {
    this.summary = this.written(markdown);
  };
  readonly tempDir: string;
  readonly controller = new AbortController();
  readonly signal = this.controller.signal;

  /**
   * `tempDir`: a folder to share (thousands of soak steps must not make thousands); a fresh one by default.
   * `maskWrites`: mask outputs, state and summary with the registered secrets, as the real hosts do (the
   * proofs); by default they are kept as the engine wrote them, so a test can catch the engine writing a key.
   */
  constructor(
    readonly ciContext: CiContext = TEST_CI,
    tempDir?: string,
    private readonly options: { maskWrites?: boolean } = {},
  ) {
    this.tempDir = tempDir ?? mkdtempSync(join(tmpdir(), 'orchestration-run-test-'));
  }

  private written(value: string): string {
    return this.options.maskWrites ? maskSecrets(value, this.secrets) : value;
  }

  private clean(text: string): string {
    return neutralize(maskSecrets(text, this.secrets));
  }

  private record(method: RecordedLine['level'], text: string, title?: string): void {
    const call: HostCall = { method, text: this.clean(text) };
    if (title !== undefined) call.title = this.clean(title);
    this.calls.push(call);
  }

  info(message: string): void {
    this.record('info', message);
  }
  warning(message: string, annotation?: Annotation): void {
    this.record('warning', message, annotation?.title);
  }
  error(message: string, annotation?: Annotation): void {
    this.record('error', message, annotation?.title);
  }
  debug(message: string): void {
    this.record('debug', message);
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.record('group', title);
    return fn();
  }
  setOutput(name: OutputName, value: string): void {
    this.outputs.set(name, this.written(value));
    this.calls.push({ method: 'setOutput', text: name });
  }
  setSecret(value: string): void {
    // Recorded without the value: the call order is what matters.
    this.calls.push({ method: 'setSecret', text: '' });
    if (value) this.secrets.push(value);
  }
  async writeSummary(markdown: string): Promise<void> {
    this.calls.push({ method: 'writeSummary', text: '' });
    await this.summaryWriter(markdown);
  }
  saveState(key: string, value: string): void {
    this.state.set(key, this.written(value));
    this.calls.push({ method: 'saveState', text: key });
  }
  getState(key: string): string {
    return this.state.get(key) ?? '';
  }

  /** The printed lines, in order. */
  get lines(): RecordedLine[] {
    return this.calls.filter((c) => PRINTED.has(c.method)).map((c) => ({ level: c.method as RecordedLine['level'], text: c.text, title: c.title }));
  }

  /** Every printed line joined, debug excluded. */
  text(): string {
    return this.lines
      .filter((l) => l.level !== 'debug')
      .map((l) => l.text)
      .join('\n');
  }

  /** What a user would see printed (debug included: --verbose shows it), titles before their line. */
  printed(): string {
    return this.lines.map((l) => (l.title ? `${l.title}: ${l.text}` : l.text)).join('\n');
  }

  warnings(): string[] {
    return this.lines.filter((l) => l.level === 'warning').map((l) => l.text);
  }

  annotations(): RecordedLine[] {
    return this.lines.filter((l) => l.level === 'error' && l.title !== undefined);
  }
}
