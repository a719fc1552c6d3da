/**
 * The hosts build their masker once per registered secret (not once per printed line): a secret registered
 * after some lines were printed is masked in every later line, and the ones registered before it still are.
 */
import { CliHost } from '../../src/adapters/cli/host.js';
import { GitHubHost } from '../../src/adapters/github/host.js';
import { RecordingCore } from '../github/recording-core.js';

const FIRST = 'txk_FirstSecretForMaskingTests00001';
const SECOND = 'qrn_SecondSecretForMaskingTests0002';

test('CLI host: a secret registered later is masked from then on, and the earlier one still is', () => {
  const out: string[] = [];
  const host = new CliHost({ out: (l) => out.push(l), err: (l) => out.push(l), verbose: false, env: {}, signal: new AbortController().signal });
  host.info(`before ${SECOND}`);
  host.setSecret(FIRST);
  host.info(`a ${FIRST} b ${SECOND}`);
  host.setSecret(SECOND);
  host.info(`a ${FIRST} b ${SECOND}`);
  expect(out).toEqual([`before ${SECOND}`, `a *** b ${SECOND}`, 'a *** b ***']);
});

test('GitHub host: the same, for printed lines and group titles', async () => {
  const core = new RecordingCore();
  const host = new GitHubHost({ core, env: {}, signal: new AbortController().signal });
  host.setSecret(FIRST);
  host.info(`a ${FIRST} b ${SECOND}`);
  host.setSecret(SECOND);
  host.info(`a ${FIRST} b ${SECOND}`);
  await host.group(`title ${SECOND}`, async () => undefined);
  const printed = core.calls.filter((c) => c.fn === 'info' || c.fn === 'startGroup').map((c) => c.message);
  expect(printed).toEqual([`a *** b ${SECOND}`, 'a *** b ***', 'title ***']);
});
