// The project's publishing settings, each written once, in package.json, and derived everywhere else:
//
//   version                        one version for the Action's release tag, the npm package, the Azure
//                                  DevOps extension and its task (gen-task writes the last two)
//   repository.url                 where the Action is published: `uses: <owner>/<name>@v<major>` in every
//                                  example of README.md and docs/ (gen-docs writes them)
//   config.marketplacePublisher    the Visual Studio Marketplace publisher of the Azure DevOps extension
//                                  (gen-task writes it into azure-task/vss-extension.json)
//
// In the docs, every action other than GitHub's own (`actions/…`) and the local `./` is this one: a
// `uses:` line or a `owner/name@vN` in backticks naming another is rewritten to the setting.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The settings, read from package.json under `root`; throws one clear line when one is missing or malformed. */
export function projectSettings(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  const match = /github\.com[/:]([A-Za-z0-9][\w.-]*\/[\w.-]+?)(?:\.git)?\/?$/.exec(url ?? '');
  if (!match) throw new Error(`package.json: repository.url must be the Action's GitHub repository (…github.com/<owner>/<name>.git), got '${url}'`);
  const publisher = pkg.config?.marketplacePublisher;
  if (typeof publisher !== 'string' || !/^[A-Za-z0-9][\w-]*$/.test(publisher)) {
    throw new Error(`package.json: config.marketplacePublisher must be a Marketplace publisher id (letters, digits, - and _), got '${publisher}'`);
  }
  const version = String(pkg.version);
  const major = /^(\d+)\.\d+\.\d+/.exec(version)?.[1];
  if (major === undefined) throw new Error(`package.json: version must be Major.Minor.Patch, got '${version}'`);
  const actionRepository = match[1];
  const majorTag = `v${major}`;
  return { version, actionRepository, majorTag, actionRef: `${actionRepository}@${majorTag}`, marketplacePublisher: publisher };
}

/** An action that is not ours: GitHub's own actions, a local path, a Docker image. */
function isOther(name) {
  return name.startsWith('actions/') || name.startsWith('./') || name.startsWith('docker://');
}

/** `text` with every reference to the Action (`uses:` lines and `owner/name@vN` in backticks) set to `actionRef`. */
export function withActionRef(text, actionRef) {
  return text
    .replace(/(uses:\s*)([^\s@'"#]+)@([^\s'"#]+)/g, (all, prefix, name) => (isOther(name) ? all : `${prefix}${actionRef}`))
    .replace(/`([A-Za-z0-9][\w.-]*\/[\w.-]+)@v\d+`/g, (all, name) => (isOther(name) ? all : `\`${actionRef}\``));
}

/** The extension manifest's text with its top-level `publisher` and `version` set, the rest untouched. */
export function withManifestSettings(text, { marketplacePublisher, version }) {
  const set = (source, key, value) => {
    const re = new RegExp(`^(  "${key}": )"[^"]*"`, 'm');
    if (!re.test(source)) throw new Error(`azure-task/vss-extension.json: no top-level "${key}" to set`);
    return source.replace(re, `$1${JSON.stringify(value)}`);
  };
  return set(set(text, 'publisher', marketplacePublisher), 'version', version);
}
