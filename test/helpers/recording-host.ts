/** A Host that records everything the engine does, for assertions. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Annotation, Host, OutputName } from '../../src/core/host.js';
import type { CiContext } from '../../src/core/settings.js';
import { maskSecrets, neutralize } from '../../src/core/untrusted.js';

export interface RecordedLine {
  level: 'info' | 'warning' | 'error' | 'debug' | 'group';
  text: string;
  title?: string;
}

export class RecordingHost implements Host {
  readonly name = 'cli' as const;
  readonly lines: RecordedLine[] = [];
  readonly outputs = new Map<OutputName, string>();
  readonly secrets: string[] = [];
  readonly state = new Map<string, string>();
  summary = '';
  readonly tempDir = mkdtempSync(join(tmpdir(), 'orchestration-run-test-'));
  readonly controller = new AbortController();
  readonly signal = this.controller.signal;

  constructor(readonly ciContext: CiContext = { system: 'cli', runUrl: 'https://ci.example/run/1', runId: '1', attempt: '1', commit: 'abc123', actor: 'tester' }) {}

  private record(level: RecordedLine['level'], text: string, title?: string): void {
    this.lines.push({ level, text: neutralize(maskSecrets(text, this.secrets)), title });
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
    this.outputs.set(name, value);
  }
  setSecret(value: string): void {
    this.secrets.push(value);
  }
  async writeSummary(markdown: string): Promise<void> {
    this.summary = markdown;
  }
  saveState(key: string, value: string): void {
    this.state.set(key, value);
  }
  getState(key: string): string {
    return this.state.get(key) ?? '';
  }

  /** Every printed line joined, debug excluded. */
  text(): string {
    return this.lines
      .filter((l) => l.level !== 'debug')
      .map((l) => l.text)
      .join('\n');
  }

  annotations(): RecordedLine[] {
    return this.lines.filter((l) => l.level === 'error' && l.title !== undefined);
  }
}
