/**
 * Qarion's inputs and target grammar: pipelines (by id or name) in a space. No HTTP here, so a bad input fails
 * before the provider (and its HTTP client) is loaded.
 */
import { DuplicateGuard, checkIdentifier, checkTargetCount, type InputReader } from '../../core/inputs/index.js';
import type { BaseUrlRule, PlatformInputDef } from '../../core/platform.js';
import type { Settings, TargetSpec } from '../../core/settings.js';

declare module '../../core/settings.js' {
  interface TargetSpecs {
    qarion: QarionPipelineSpec;
  }
  interface Settings {
    /** Qarion: leave a comment with the CI run link on the run. */
    comment?: boolean;
    /** Qarion: request a connector sync when no run appears (see README). */
    syncBeforePoll?: boolean;
  }
}

export interface QarionPipelineSpec {
  platform: 'qarion';
  kind: 'pipeline';
  label: string;
  space: string;
  /** A pipeline id, or a name resolved through the list with `q`. */
  ref: string;
}

export const QARION_INPUTS: readonly PlatformInputDef[] = [
  {
    name: 'space',
    azureName: 'space',
    group: 'target',
    description: 'Qarion: the space slug that holds the pipelines.',
    example: 'analytics',
  },
  {
    name: 'pipeline',
    azureName: 'pipeline',
    group: 'target',
    multiline: true,
    description: { lead: 'Pipelines to run, one per line', part: 'a Qarion pipeline id or name' },
    example: 'daily_finance',
  },
  {
    name: 'comment',
    azureName: 'comment',
    group: 'advanced',
    default: 'true',
    options: ['true', 'false'],
    description: 'Qarion: add a comment linking the CI run to each run (a failure to comment only warns).',
    example: 'true',
  },
  {
    name: 'sync-before-poll',
    azureName: 'syncBeforePoll',
    group: 'advanced',
    default: 'false',
    options: ['true', 'false'],
    description:
      'Qarion: request a connector sync when the triggered run does not show up in time (runs arrive through connector sync; needs edit rights).',
    example: 'true',
  },
];

export const QARION_BASE_URL: BaseUrlRule = {
  shown: 'https://api.qarion.com',
  example: 'https://api.qarion.com',
  fallback: () => 'https://api.qarion.com',
};

export function parseQarionTargets(r: InputReader): TargetSpec[] {
  const space = r.value('space');
  if (space === undefined) r.fail('space', 'is required for platform qarion');
  checkIdentifier(r, 'space', space);

  checkTargetCount(r, ['pipeline']);
  const pipelines = r.lines('pipeline');
  if (pipelines.length === 0) r.fail('pipeline', 'needs at least one line for platform qarion');
  const seen = new DuplicateGuard(r, 'pipeline');
  return pipelines.map((line): QarionPipelineSpec => {
    seen.check(line.text, line);
    return { platform: 'qarion', kind: 'pipeline', space, ref: line.text, label: `${space}/${line.text}` };
  });
}

export function readQarionSettings(r: InputReader): Partial<Settings> {
  return { comment: r.boolean('comment'), syncBeforePoll: r.boolean('sync-before-poll') };
}
