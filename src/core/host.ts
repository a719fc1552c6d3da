/**
 * The Host seam: what a front end (GitHub, Azure DevOps, CLI) gives the core.
 * The core never writes to stdout itself. Hosts neutralize every line they print (see untrusted.ts), so the
 * core may pass text that contains server content.
 */
import type { CiContext, ProxySettings } from './settings.js';

export interface Annotation {
  /** Title of the CI annotation. */
  title?: string;
}

/** Output names, canonical (kebab-case); Azure hosts turn them into camelCase. */
export type OutputName =
  | 'status'
  | 'run-id'
  | 'raw-status'
  | 'started-at'
  | 'finished-at'
  | 'duration-seconds'
  | 'result'
  | 'result-file'
  | 'log-file';

export const OUTPUT_NAMES: readonly OutputName[] = [
  'status',
  'run-id',
  'raw-status',
  'started-at',
  'finished-at',
  'duration-seconds',
  'result',
  'result-file',
  'log-file',
];

export interface Host {
  readonly name: 'github' | 'azure' | 'cli';
  /**
   * `false` for a host that has no CI annotations (the CLI): the engine does not send it error lines that the
   * log already shows, which it could only print a second time. Absent: the host raises annotations.
   */
  readonly raisesAnnotations?: boolean;
  info(message: string): void;
  /** With an annotation, the host raises a CI warning annotation. */
  warning(message: string, annotation?: Annotation): void;
  /** With an annotation, the host raises a CI error annotation (the engine sends at most 10). */
  error(message: string, annotation?: Annotation): void;
  debug(message: string): void;
  /** A collapsible block in the CI log. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  setOutput(name: OutputName, value: string): void;
  /** Registers a secret: the host masks it in everything printed from now on. */
  setSecret(value: string): void;
  writeSummary(markdown: string): Promise<void>;
  /** Saved for the post step (GitHub); other hosts may keep it in memory. */
  saveState(key: string, value: string): void;
  getState(key: string): string;
  readonly tempDir: string;
  readonly ciContext: CiContext;
  readonly proxy?: ProxySettings;
  /** Fires when the CI job is cancelled (SIGINT/SIGTERM). */
  readonly signal: AbortSignal;
}
