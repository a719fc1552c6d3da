/** A stand-in for `@actions/core` that records every call, with inputs and state given up front. */
import type { CoreApi, SummaryApi } from '../../src/adapters/github/host.js';

/** `core.summary`: what is added goes to a buffer; `write` appends the buffer to `written` and empties it. */
export class RecordingSummary implements SummaryApi {
  written = '';
  private buffer = '';
  addRaw(text: string, addEOL = false): this {
    this.buffer += text + (addEOL ? '\n' : '');
    return this;
  }
  async write(): Promise<this> {
    this.written += this.buffer;
    this.buffer = '';
    return this;
  }
  emptyBuffer(): this {
    this.buffer = '';
    return this;
  }
}

export interface CoreCall {
  fn: string;
  message: string;
  title?: string;
}

export class RecordingCore implements CoreApi {
  readonly calls: CoreCall[] = [];
  readonly outputs = new Map<string, string>();
  readonly savedState = new Map<string, string>();
  readonly secrets: string[] = [];
  failed: string | undefined;
  readonly summary = new RecordingSummary();

  constructor(
    private readonly inputs: Record<string, string> = {},
    private readonly state: Record<string, string> = {},
  ) {}

  private record(fn: string, message: string, title?: string): void {
    this.calls.push(title === undefined ? { fn, message } : { fn, message, title });
  }

  info(message: string): void {
    this.record('info', message);
  }
  warning(message: string, properties?: { title?: string }): void {
    this.record('warning', message, properties?.title);
  }
  error(message: string, properties?: { title?: string }): void {
    this.record('error', message, properties?.title);
  }
  debug(message: string): void {
    this.record('debug', message);
  }
  startGroup(name: string): void {
    this.record('startGroup', name);
  }
  endGroup(): void {
    this.record('endGroup', '');
  }
  setOutput(name: string, value: string): void {
    this.outputs.set(name, value);
  }
  setSecret(secret: string): void {
    this.secrets.push(secret);
    this.record('setSecret', '(secret)');
  }
  saveState(name: string, value: string): void {
    this.savedState.set(name, value);
  }
  getState(name: string): string {
    return this.state[name] ?? '';
  }
  setFailed(message: string): void {
    this.failed = message;
    this.record('setFailed', message);
  }
  getInput(name: string, options?: { trimWhitespace?: boolean }): string {
    const value = this.inputs[name] ?? '';
    return options?.trimWhitespace === false ? value : value.trim();
  }

  /** Every message, in order, as one text (what a reader of the log would see, roughly). */
  text(): string {
    return this.calls.map((c) => (c.title ? `${c.title}: ${c.message}` : c.message)).join('\n');
  }

  /** Calls other than debug lines. */
  visible(): CoreCall[] {
    return this.calls.filter((c) => c.fn !== 'debug');
  }
}
