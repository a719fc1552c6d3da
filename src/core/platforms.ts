/**
 * A set of platform modules and what is derived from it: the whole input table, input parsing, and the
 * provider loader the engine is given. `src/providers/registry.ts` holds the product's one set; the core
 * only knows the PlatformModule seam.
 */
import { parseSettings, type ParsedInputs, type PlatformCatalog } from './inputs/parse.js';
import type { ParseOptions, RawInputs } from './inputs/reader.js';
import { composeInputs, type InputDef } from './inputs/table.js';
import type { PlatformModule } from './platform.js';
import type { ProviderModule } from './provider.js';
import type { Platform } from './settings.js';

/** A registry name: the value of the `platform` input, an Azure endpoint type and an input-name prefix. */
const PLATFORM_NAME = /^[a-z][a-z0-9]*$/;

export class PlatformRegistry implements PlatformCatalog {
  private list: PlatformModule[] = [];
  private table: InputDef[] = [];
  private byInputName = new Map<string, InputDef>();

  constructor(modules: readonly PlatformModule[]) {
    for (const module of modules) this.add(module);
    this.compose();
  }

  /**
   * Adds a platform after those already there (a test's own platform, or an embedder's). The input table
   * and everything read from it follow at once.
   */
  register(module: PlatformModule): void {
    this.add(module);
    this.compose();
  }

  get modules(): readonly PlatformModule[] {
    return this.list;
  }

  get names(): Platform[] {
    return this.list.map((m) => m.name);
  }

  /** The whole input table: platform-neutral rows and every platform's rows. */
  get inputs(): readonly InputDef[] {
    return this.table;
  }

  module(name: Platform): PlatformModule | undefined {
    return this.list.find((m) => m.name === name);
  }

  /** The definition of an input by its kebab-case name; an unknown name is a programming error. */
  inputByName(name: string): InputDef {
    const def = this.byInputName.get(name);
    if (!def) throw new Error(`Unknown input '${name}'. Known inputs: ${this.table.map((d) => d.name).join(', ')}`);
    return def;
  }

  parseSettings(raw: RawInputs, options: ParseOptions = {}): ParsedInputs {
    return parseSettings(raw, this, options);
  }

  /**
   * The provider of a platform, loaded on first use (its HTTP code is evaluated only when a step uses it),
   * with the platform's access hints for the engine's 403 messages.
   */
  async loadProvider(name: Platform): Promise<ProviderModule> {
    const module = this.module(name);
    if (!module) throw new Error(`platform '${name}' is not available in this build`);
    const provider = await module.load();
    const requestLimit = provider.requestLimit ?? module.requestLimit;
    return { ...provider, accessHints: provider.accessHints ?? module.accessHints, ...(requestLimit && { requestLimit }) };
  }

  private add(module: PlatformModule): void {
    if (!PLATFORM_NAME.test(module.name)) throw new Error(`platform name '${module.name}' must be lower-case letters and digits`);
    if (this.module(module.name)) throw new Error(`platform '${module.name}' is registered twice`);
    this.list = [...this.list, module];
  }

  private compose(): void {
    this.table = composeInputs(this.list);
    this.byInputName = new Map(this.table.map((def) => [def.name, def]));
  }
}
