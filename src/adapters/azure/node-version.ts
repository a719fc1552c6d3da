/**
 * The Node.js version the task needs, checked by main.ts before anything else is loaded: an agent on a system
 * whose C library is too old for Node 20 falls back to its Node 16 handler, where the bundle's HTTP client
 * would fail while loading with an error that names no cause (`ReadableStream is not defined`).
 *
 * No imports: this module must load on any Node.
 */

/** The oldest Node.js the task runs on (package.json `engines`, the HTTP client's own requirement). */
export const MINIMUM_NODE = { major: 20, minor: 18 } as const;

/** One line saying why the task cannot run on `version` (e.g. `16.20.2`), or undefined when it can. */
export function nodeVersionProblem(version: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  const major = m ? Number(m[1]) : NaN;
  const minor = m ? Number(m[2]) : NaN;
  if (major > MINIMUM_NODE.major || (major === MINIMUM_NODE.major && minor >= MINIMUM_NODE.minor)) return undefined;
  return (
    `orchestration-run needs Node.js ${MINIMUM_NODE.major}.${MINIMUM_NODE.minor} or later, but the agent started it with Node.js ` +
    `${version.trim().replace(/^v/, '') || '(unknown)'}: the agent falls back to Node 16 on systems ` +
    'too old for Node 20 (glibc older than 2.28): run the job on an agent whose system runs Node 20 or 24 (agent 4.265.0 or later)'
  );
}
