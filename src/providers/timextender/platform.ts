/**
 * TimeXtender Data Platform as the registry sees it: what it is called, its inputs and target grammar
 * (targets.ts), how its API root and key look, what a refused key needs, its guide, and its provider, loaded
 * only once the inputs are valid. Its Azure service connection is endpoint.json, beside this file.
 */
import type { PlatformModule } from '../../core/platform.js';
import {
  TIMEXTENDER_BASE_URL,
  TIMEXTENDER_INPUTS,
  checkTimextenderRunId,
  parseTimextenderTargets,
  readTimextenderSettings,
} from './targets.js';

export const timextender: PlatformModule = {
  name: 'timextender',
  label: 'TimeXtender Data Platform',
  inputs: TIMEXTENDER_INPUTS,
  baseUrl: TIMEXTENDER_BASE_URL,
  // The vendor's own example key does not match its documented format, so another shape only warns.
  keyFormat: { pattern: /^txk_[A-Za-z0-9]{32}$/, looksLike: 'a TimeXtender API key (txk_ followed by 32 letters or digits)' },
  accessHints: {
    trigger: 'Contributor access on the workspace (Viewer is read-only)',
    read: "The key's user has no access to this workspace or space (it needs at least Viewer, or a read scope on Planasonix), or the platform's API is disabled for the organization",
  },
  guide: 'docs/timextender.md',
  usage: ['tenant', 'acme', 'workspace', 'finance', 'task', 'Package/1005'],
  parseTargets: parseTimextenderTargets,
  readSettings: readTimextenderSettings,
  checkRunId: checkTimextenderRunId,
  // "eager": the bundler keeps the provider in the one bundle file, evaluated only when imported.
  load: async () => (await import(/* webpackChunkName: "engine" */ './provider.js')).timextenderModule,
};
