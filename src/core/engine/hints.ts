/**
 * What to do about the usual HTTP answers (product spec: Errors). A 403 says what the platform's key needs,
 * in the platform's own words (its module's access hints); the rest is the same for every platform.
 */
import type { ApiError } from '../http/index.js';
import type { AccessHints } from '../platform.js';

export function hintFor(error: ApiError, platform: string, access: AccessHints | undefined): string | undefined {
  switch (error.status) {
    case 401:
      return 'The API key was rejected: it is missing, wrong or revoked, or the user behind it was deactivated. Create a new key and update the secret';
    case 403:
      return error.phase === 'trigger'
        ? `The key's user may read but not trigger: it needs ${access?.trigger ?? 'the right to trigger'}`
        : (access?.read ?? "The key's user has no read access to this target, or the platform's API is disabled for the organization");
    case 404:
      return `Not found: the target does not exist on ${platform}, or it is not visible to the key's user. Check the names and ids, and the user's access`;
    case 409:
      return 'The target is already running. Use if-running: attach to follow that run, or queue to wait for it';
    default:
      return undefined;
  }
}
