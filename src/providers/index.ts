/**
 * The provider registry. Adapters hand `loadProvider` to the engine; each platform's code is imported only
 * when a step uses that platform, so start-up loads nothing it does not need.
 */
import type { Platform } from '../core/settings.js';
import type { ProviderModule } from './provider.js';

export async function loadProvider(platform: Platform): Promise<ProviderModule> {
  switch (platform) {
    case 'timextender':
      return (await import('./timextender/provider.js')).timextenderModule;
    case 'planasonix': return (await import('./planasonix/provider.js')).planasonixModule;
    case 'qarion': return (await import('./qarion/provider.js')).qarionModule;
    default:
      throw new Error(`platform '${platform}' is not available in this build yet`);
  }
}
