/**
 * Inputs: the one table (table.ts), the reader that reports a bad value in one line (reader.ts), the value
 * parsers (values.ts), validation into Settings (parse.ts) and output paths (output-paths.ts). The whole
 * table, with every platform's rows, and the parser bound to it come from `src/providers/registry.ts`.
 */
export { BOOLEAN_OPTIONS, INPUT_GROUPS, composeInputs, coreInputs, displayName, isBooleanInput, type InputDef, type InputGroup, type NameStyle } from './table.js';
export {
  DuplicateGuard,
  InputError,
  InputReader,
  MAX_TARGETS,
  checkIdentifier,
  checkTargetCount,
  closest,
  type FailOptions,
  type Line,
  type ParseOptions,
  type RawInputs,
} from './reader.js';
export { isTimeZone, isoInstant, parseBoolean, parseDuration, quote } from './values.js';
export { parseSettings, type ParsedInputs, type PlatformCatalog } from './parse.js';
export { prepareOutputFile, prepareOutputPaths } from './output-paths.js';
