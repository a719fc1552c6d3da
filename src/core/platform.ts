/**
 * The PlatformModule seam: how a platform describes itself to the core, completely, without a request.
 *
 * A platform is one folder under `src/providers/` whose `platform.ts` exports one PlatformModule and one
 * line in `src/providers/registry.ts`. Everything else that names platforms is derived from the registry:
 * the input table and its `platform` pick list, `action.yml`, `task.json` (labels, service connections),
 * `vss-extension.json` (each platform's `endpoint.json`), the README's guides, the CLI's flags and help, the
 * 403 hints of the engine. The description (inputs, target grammar, defaults) is loaded with the front end;
 * the provider (`load`), with its HTTP code, only once the inputs are valid, so input errors come before it.
 */
import type { RequestLimit } from './http/budget.js';
import type { InputReader } from './inputs/reader.js';
import type { InputDef } from './inputs/table.js';
import type { ProviderModule } from './provider.js';
import type { Settings, TargetSpec } from './settings.js';

/**
 * An input row of a platform. The registry sets `platforms` (several platforms may declare the same input;
 * their rows are merged into one).
 */
export type PlatformInputDef = Omit<InputDef, 'platforms' | 'description'> & {
  /**
   * The description; for an input several platforms share, `{ lead, part }`: the merged row reads
   * `<lead>: <part of each platform, joined by ", or ">.` (e.g. `pipeline`).
   */
  description: string | { lead: string; part: string };
  /** Place the row right after this platform-neutral input (default: at the end of its group). */
  after?: string;
};

/** The API root when `base-url` (and an Azure service connection) give none. */
export interface BaseUrlRule {
  /** As shown in the `base-url` description: `https://api.qarion.com`, `https://{tenant}.odq.timextender.com`. */
  shown: string;
  /** A right value, in messages about `base-url`. */
  example: string;
  /**
   * The default root, read from the platform's own inputs if need be (TimeXtender: the tenant). Called
   * whether or not a base URL was given (`overridden`), so the platform's inputs are checked either way;
   * fails through the reader when no root can be built. Undefined only when `overridden`.
   */
  fallback(reader: InputReader, overridden: boolean): string | undefined;
}

/** A key format the platform documents; another shape only warns. */
export interface KeyFormat {
  pattern: RegExp;
  /** Completes "does not look like …": `a TimeXtender API key (txk_ followed by 32 letters or digits)`. */
  looksLike: string;
}

/** What to tell a user whose key was refused (403). */
export interface AccessHints {
  /** What the key's user needs to trigger: `Contributor access on the workspace (Viewer is read-only)`. */
  trigger: string;
  /** The whole hint for a 403 outside the trigger (default: a platform-neutral one). */
  read?: string;
}

export interface PlatformModule {
  /** Registry name and value of the `platform` input: lower case letters and digits, e.g. `timextender`. */
  readonly name: string;
  /** Human name: `TimeXtender Data Platform` (Azure pick list and service connection). */
  readonly label: string;
  /** The inputs only this platform uses, in the order they are documented. */
  readonly inputs: readonly PlatformInputDef[];
  readonly baseUrl: BaseUrlRule;
  readonly keyFormat?: KeyFormat;
  readonly accessHints: AccessHints;
  /**
   * The request limit the platform documents for one key, if any: the step's request budget starts at this
   * pace, before the answers' rate-limit headers correct it (http/budget.ts). None: nothing is paced until then.
   */
  readonly requestLimit?: RequestLimit;
  /** The user guide, a path from the repository root (`docs/timextender.md`); the README includes it. */
  readonly guide?: string;
  /** The CLI's usage line for the most common target: flag and value pairs (`['workspace', 'finance', …]`). */
  readonly usage?: readonly string[];
  /**
   * The targets of the step from the platform's target inputs, in input order; fails through the reader
   * with one line (no request is made here).
   */
  parseTargets(reader: InputReader): TargetSpec[];
  /** The settings only this platform reads (its `Settings` augmentation), from its own inputs. */
  readSettings?(reader: InputReader): Partial<Settings>;
  /**
   * Checks the shape of one run id given in `run-id` for a target (mode wait), before any request; fails
   * through the reader. Ids are given without the `adopted:` mark, one run at a time.
   */
  checkRunId?(reader: InputReader, spec: TargetSpec, runId: string): void;
  /** The provider: loaded only once the inputs are valid (its HTTP code is not needed before). */
  load(): Promise<ProviderModule>;
}
