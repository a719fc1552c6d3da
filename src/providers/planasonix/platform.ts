/**
 * Planasonix as the registry sees it: what it is called, its inputs and target grammar (targets.ts), its API
 * root, what a refused key needs, its guide, and its provider, loaded only once the inputs are valid. Its
 * Azure service connection is endpoint.json, beside this file.
 */
import type { PlatformModule } from '../../core/platform.js';
import { PLANASONIX_BASE_URL, PLANASONIX_INPUTS, parsePlanasonixTargets, readPlanasonixSettings } from './targets.js';

export const planasonix: PlatformModule = {
  name: 'planasonix',
  label: 'Planasonix',
  inputs: PLANASONIX_INPUTS,
  baseUrl: PLANASONIX_BASE_URL,
  accessHints: {
    trigger: 'a scope that may trigger (sync:trigger for syncs and backfills, pipelines:run for pipeline runs)',
    read: "The key's user has no access to this workspace or space (it needs at least Viewer, or a read scope on Planasonix), or the platform's API is disabled for the organization",
  },
  guide: 'docs/planasonix.md',
  usage: ['connection', 'conn_8f2a'],
  parseTargets: parsePlanasonixTargets,
  readSettings: readPlanasonixSettings,
  // "eager": the bundler keeps the provider in the one bundle file, evaluated only when imported.
  load: async () => (await import(/* webpackChunkName: "engine" */ './provider.js')).planasonixModule,
};
