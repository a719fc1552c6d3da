/**
 * The three front ends as a CI system runs them, for the proof files that look at what a user (or a runner)
 * sees: the CLI (lib/adapters/cli/index.js), the GitHub Action bundle (dist/main/index.js) and the Azure
 * DevOps task bundle (azure-task/OrchestrationRunV1/dist/index.js), each a subprocess with its CI system's
 * environment and files. A bundle that is not built is reported as unavailable, never silently passed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INPUTS } from '../../src/providers/registry.js';
import { AZURE_BUNDLE, CLI, GITHUB_BUNDLE, runNode, type ProcessRun } from './support.js';

export type FrontEnd = 'cli' | 'github' | 'azure';

export const FRONT_END_FILES: Record<FrontEnd, string> = { cli: CLI, github: GITHUB_BUNDLE, azure: AZURE_BUNDLE };

/** Front ends whose built entry point exists. */
export function availableFrontEnds(): FrontEnd[] {
  return (['cli', 'github', 'azure'] as const).filter((f) => existsSync(FRONT_END_FILES[f]));
}

export interface FrontEndRun extends ProcessRun {
  frontEnd: FrontEnd;
  /** Every file the run left in its temp dir (summary, outputs, state, JUnit, log files). */
  files: Array<{ path: string; text: string }>;
  /** The stream the CI runner reads commands from: stdout (and stderr for the CLI, whose warnings go there). */
  commandStream: string;
}

export interface FrontEndOptions {
  /** Node options before the entry point, e.g. ['--import', file] to inject a fault. */
  nodeArgs?: string[];
  env?: Record<string, string>;
  /** CLI only: extra flags such as --json or --verbose. */
  cliFlags?: string[];
  timeoutMs?: number;
}

/**
 * Runs a front end with inputs given by their canonical (kebab-case) names. The API key goes where each CI
 * system puts a secret: the CLI's environment variable, INPUT_API-KEY, INPUT_APIKEY.
 */
export async function runFrontEnd(frontEnd: FrontEnd, inputs: Record<string, string>, options: FrontEndOptions = {}): Promise<FrontEndRun> {
  const temp = mkdtempSync(join(tmpdir(), `proof-${frontEnd}-`));
  const env: Record<string, string> = {};
  let args: string[];
  switch (frontEnd) {
    case 'cli': {
      args = [CLI, '--summary', join(temp, 'summary.md'), '--junit', join(temp, 'junit.xml'), ...(options.cliFlags ?? [])];
      for (const [name, value] of Object.entries(inputs)) {
        if (name === 'api-key') env.ORCHESTRATION_RUN_API_KEY = value;
        else for (const line of value.split('\n')) args.push(`--${name}`, line);
      }
      env.ORCHESTRATION_RUN_LOG_DIR = temp;
      break;
    }
    case 'github': {
      args = [GITHUB_BUNDLE];
      for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
      for (const file of ['output', 'state', 'summary']) writeFileSync(join(temp, `github-${file}`), '');
      Object.assign(env, {
        GITHUB_ACTIONS: 'true',
        GITHUB_OUTPUT: join(temp, 'github-output'),
        GITHUB_STATE: join(temp, 'github-state'),
        GITHUB_STEP_SUMMARY: join(temp, 'github-summary'),
        RUNNER_TEMP: temp,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_REPOSITORY: 'acme/warehouse',
        GITHUB_RUN_ID: '31337',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
        GITHUB_ACTOR: 'prover',
        GITHUB_WORKFLOW: 'release',
      });
      break;
    }
    case 'azure': {
      args = [AZURE_BUNDLE];
      const azureName = new Map(INPUTS.map((d) => [d.name, d.azureName]));
      for (const [name, value] of Object.entries(inputs)) env[`INPUT_${(azureName.get(name) ?? name).toUpperCase()}`] = value;
      Object.assign(env, {
        AGENT_TEMPDIRECTORY: temp,
        SYSTEM_COLLECTIONURI: 'https://dev.azure.com/acme/',
        SYSTEM_TEAMPROJECT: 'Warehouse',
        BUILD_BUILDID: '4711',
        SYSTEM_JOBATTEMPT: '1',
        BUILD_SOURCEVERSION: '0123456789abcdef0123456789abcdef01234567',
        BUILD_REQUESTEDFOR: 'Prover',
        BUILD_DEFINITIONNAME: 'release',
      });
      break;
    }
  }
  Object.assign(env, options.env);
  const run = await runNode([...(options.nodeArgs ?? []), ...args], env, { cwd: temp, timeoutMs: options.timeoutMs ?? 60_000 });
  const files = filesUnder(temp).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  return { ...run, frontEnd, files, commandStream: frontEnd === 'cli' ? `${run.stdout}\n${run.stderr}` : run.stdout };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * What a front end printed, minus the lines that register the key with the runner (`::add-mask::`,
 * `##vso[task.setsecret]`): those must carry the key, and the runner never shows them.
 */
export function withoutMaskRegistration(text: string): string {
  return text
    .split('\n')
    .filter((line) => !/^::add-mask::/.test(line) && !line.startsWith('##vso[task.setsecret]'))
    .join('\n');
}

/** Everything a run produced that a person or a later step could read (for findLeaks). */
export function everythingPrinted(run: FrontEndRun): string[] {
  return [withoutMaskRegistration(run.stdout), run.stderr, ...run.files.map((f) => f.text)];
}
