/**
 * The one router of the simulator's platform modules: a route is a method and a path pattern of segments
 * (`['connections', ':id', 'sync']`); a request matches a route, or its path exists with other methods
 * (405 with `Allow`), or nothing (404). Each module answers 404/405 in its platform's own error shape.
 */

export interface RouteShape {
  method: string;
  /** Path segments; `:name` captures a segment (already percent-decoded by the caller). */
  pattern: readonly string[];
}

export type RouteMatch<R extends RouteShape> =
  | { kind: 'found'; route: R; params: Record<string, string> }
  /** The path exists, with other methods (for `Allow`). */
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

/** The parameters of `segments` when they fit `pattern`, else undefined. */
export function matchPattern(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i]!;
    if (part.startsWith(':')) params[part.slice(1)] = segments[i]!;
    else if (part !== segments[i]) return undefined;
  }
  return params;
}

/** The first route of `routes` for this method and path. */
export function findRoute<R extends RouteShape>(routes: readonly R[], method: string, segments: readonly string[]): RouteMatch<R> {
  const allowed: string[] = [];
  for (const route of routes) {
    const params = matchPattern(route.pattern, segments);
    if (!params) continue;
    if (route.method === method) return { kind: 'found', route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
}
