/**
 * Verdicts are evidence: a target is green only when every proof that applies holds for every run it
 * followed (identity, a success word, an end seen on the platform, its members for a composite run, the
 * complete history for mode check). There is no path to `succeeded` that skips one; a missing proof names
 * itself.
 */
import { missingProofs, type Evidence, type Proof, type ProofName } from '../outcome.js';
import type { RunHandle } from '../provider.js';
import type { TargetRun } from './target-run.js';

/** The identity proof of the runs followed (all of them must hold). */
export function identityProof(run: TargetRun): Proof {
  if (run.handles.length === 0) return { ok: false, detail: 'no run was identified' };
  const parts = run.handles.map((h) => {
    const id = run.identities.get(h.runId);
    return { runId: h.runId, ok: id !== undefined, detail: id?.detail ?? 'not identified' };
  });
  const ok = parts.every((p) => p.ok);
  const detail = parts.length === 1 ? parts[0]!.detail : parts.map((p) => `run ${p.runId}: ${p.detail}`).join(' | ');
  return { ok, detail };
}

/**
 * The evidence behind the verdict of the runs followed. Green only when every required proof holds for
 * every run: there is no path to `succeeded` that skips one.
 */
export function evidenceFor(run: TargetRun, handles: RunHandle[], extra: Evidence = {}): { evidence: Evidence; missing: ProofName[] } {
  const composite = run.target?.composite === true;
  const many = handles.length > 1;
  const label = (h: RunHandle, text: string) => (many ? `run ${h.runId}: ${text}` : text);
  const combine = (proofs: Array<[RunHandle, Proof]>): Proof => ({
    ok: proofs.length > 0 && proofs.every(([, p]) => p.ok),
    detail: proofs.length === 0 ? 'no run observed' : proofs.map(([h, p]) => label(h, p.detail)).join(' | '),
  });
  const obsOf = (h: RunHandle) => run.last.get(h.runId);
  const success = combine(
    handles.map((h) => {
      const obs = obsOf(h);
      if (!obs) return [h, { ok: false, detail: 'never observed' }];
      return [h, obs.state === 'succeeded' ? { ok: true, detail: `${obs.rawStatus} (a success word)` } : { ok: false, detail: `${obs.rawStatus || '(no status)'} is not a success word (${obs.state})` }];
    }),
  );
  const end = combine(
    handles.map((h) => {
      const obs = obsOf(h);
      return [h, obs?.end ? { ok: true, detail: obs.end } : { ok: false, detail: 'no end seen on the platform' }];
    }),
  );
  const evidence: Evidence = { identity: extra.identity ?? identityProof(run), success, end };
  const required: ProofName[] = ['identity', 'success', 'end'];
  if (composite) {
    evidence.members = combine(
      handles.map((h) => {
        const members = obsOf(h)?.members;
        return [h, members ?? { ok: false, detail: 'no member of this run was accounted for' }];
      }),
    );
    required.push('members');
  } else {
    const reported = handles.map((h) => [h, obsOf(h)?.members] as const).filter((pair): pair is readonly [RunHandle, Proof] => pair[1] !== undefined);
    if (reported.length > 0) {
      evidence.members = combine(reported.map(([h, p]) => [h, p]));
      required.push('members');
    }
  }
  if (extra.history) {
    evidence.history = extra.history;
    required.push('history');
  }
  return { evidence, missing: missingProofs(evidence, required) };
}

/** `missing proof: end (no end seen on the platform)`, naming each proof that does not hold. */
export function missingLine(evidence: Evidence, missing: readonly ProofName[]): string {
  const parts = missing.map((name) => `${name} (${evidence[name]?.detail ?? 'not shown'})`);
  return `missing proof${parts.length > 1 ? 's' : ''}: ${parts.join('; ')}`;
}
