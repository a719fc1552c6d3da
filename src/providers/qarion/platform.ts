/**
 * Qarion as the registry sees it: what it is called, its inputs and target grammar (targets.ts), its API
 * root, what a refused key needs, its guide, and its provider, loaded only once the inputs are valid. Its
 * Azure service connection is endpoint.json, beside this file.
 */
import type { PlatformModule } from '../../core/platform.js';
import { QARION_BASE_URL, QARION_INPUTS, parseQarionTargets, readQarionSettings } from './targets.js';

export const qarion: PlatformModule = {
  name: 'qarion',
  label: 'Qarion',
  inputs: QARION_INPUTS,
  baseUrl: QARION_BASE_URL,
  accessHints: {
    trigger: "the Editor or Admin role in the space (Qarion also passes Airflow's own 403 through)",
    read: "The key's user has no access to this workspace or space (it needs at least Viewer, or a read scope on Planasonix), or the platform's API is disabled for the organization",
  },
  // 60 requests a minute per key on the default tier (apis.md §2.5); the answers' X-RateLimit-* correct it.
  requestLimit: { requests: 60, perMs: 60_000 },
  guide: 'docs/qarion.md',
  usage: ['space', 'finance', 'pipeline', 'daily_finance'],
  parseTargets: parseQarionTargets,
  readSettings: readQarionSettings,
  // "eager": the bundler keeps the provider in the one bundle file, evaluated only when imported.
  load: async () => (await import(/* webpackChunkName: "engine" */ './provider.js')).qarionModule,
};
