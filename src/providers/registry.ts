/**
 * The registry: the one list of platform modules. Everything that names platforms derives from it: the input
 * table (and `action.yml`, `task.json`, the README and CLI help generated from it), the `platform` pick list,
 * the Azure service connections (`vss-extension.json` from each platform's `endpoint.json`), the README's
 * platform guides, the checks of a packaged extension and the proof's platform list.
 *
 * A platform's description (inputs, target grammar) is loaded with the front end; its provider, with its HTTP
 * code, only when a step uses it (`loadProvider`). Adding a platform: one folder under `src/providers/`, one
 * line below, and a simulator module (see the README, "Add a platform").
 */
import type { InputDef } from '../core/inputs/index.js';
import type { ParsedInputs } from '../core/inputs/parse.js';
import type { ParseOptions, RawInputs } from '../core/inputs/reader.js';
import type { PlatformModule } from '../core/platform.js';
import { PlatformRegistry } from '../core/platforms.js';
import type { ProviderModule } from '../core/provider.js';
import type { Platform } from '../core/settings.js';
import { planasonix } from './planasonix/platform.js';
import { qarion } from './qarion/platform.js';
import { timextender } from './timextender/platform.js';

export const registry = new PlatformRegistry([
  timextender,
  qarion,
  planasonix,
]);

/** The platform names, in registry order (live: a registered platform joins it). */
export let PLATFORMS: readonly Platform[] = registry.names;
/** The whole input table (live: a registered platform's rows join it). */
export let INPUTS: readonly InputDef[] = registry.inputs;

/**
 * Adds a platform after the built-in ones, for this process: its inputs, its target grammar and its provider
 * then work through every front end (the toy platform of the tests is registered this way).
 */
export function registerPlatform(module: PlatformModule): void {
  registry.register(module);
  PLATFORMS = registry.names;
  INPUTS = registry.inputs;
}

/** The definition of an input by its kebab-case name; an unknown name is a programming error. */
export function inputByName(name: string): InputDef {
  return registry.inputByName(name);
}

/** Validates the raw inputs into Settings against the registered platforms (see core/inputs/parse.ts). */
export function parseSettings(raw: RawInputs, options: ParseOptions = {}): ParsedInputs {
  return registry.parseSettings(raw, options);
}

/** The provider of a platform, loaded on first use; adapters hand this to the engine. */
export function loadProvider(platform: Platform): Promise<ProviderModule> {
  return registry.loadProvider(platform);
}

/** A platform's label, e.g. `TimeXtender Data Platform`. */
export function platformLabel(platform: Platform): string {
  return registry.module(platform)?.label ?? platform;
}
