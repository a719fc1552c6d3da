/**
 * The provider registry. Adapters hand `loadProvider` to the engine; a platform's code runs only when a step
 * uses that platform. The imports are "eager" for the bundler: the code sits in the one bundle file (a
 * bundle is a single file per entry) but is evaluated only when imported.
 */
import type { Platform } from '../core/settings.js';
import type { ProviderModule } from '../core/provider.js';

export async function loadProvider(platform: Platform): Promise<ProviderModule> {
  switch (platform) {
    case 'timextender':
      return (await import(/* webpackMode: "eager" */ './timextender/provider.js')).timextenderModule;
    case 'qarion':
      return (await import(/* webpackMode: "eager" */ './qarion/provider.js')).qarionModule;
    case 'planasonix':
      return (await import(/* webpackMode: "eager" */ './planasonix/provider.js')).planasonixModule;
    default:
      throw new Error(`platform '${platform}' is not available in this build`);
  }
}
