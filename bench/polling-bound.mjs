// What any poller could do on bench/polling.mjs's long runs under the product's rules, given the true
// distribution of each run's duration (log-normal around its task's history median; our poller only sees 10
// past runs): the fewest expected reads with which half the runs' ends are seen within a lag L (that is, a
// median lag ≤ L), when, as the product requires, the gap never exceeds poll-interval once the run has a 1 %
// chance of having ended, and the first seconds are read quickly (2 s, 4 s).
//
// A read at t sees within L only the ends in (t − L, t]; the cheapest way to gather half the ends is one
// stretch of reads L apart over a window holding half the probability, every other gap at poll-interval.
// A read costs only while the run is still going, so the window is placed (searched second by second) where
// it costs least. The figure is this cost against an ideal fixed poller's (a read every poll-interval from
// the start) for the same distribution: arithmetic, not a run against the simulator, and the same ratio the
// bench's "requests vs fixed" column measures for our poller. Needs lib/ (node scripts/build.mjs lib).
import { libImport } from './lib.mjs';

const { normalCdf } = await libImport('core/poll.js');

/** The log-normal duration model, on the poller's own normal distribution function (src/core/poll.ts). */
function logNormal(m, sigma) {
  const survival = (t) => (t <= 0 ? 1 : 1 - normalCdf(Math.log(t / m) / sigma));
  // The quantile by bisection on the survival (monotone).
  const quantile = (p) => {
    let [lo, hi] = [m * Math.exp(-10 * sigma), m * Math.exp(10 * sigma)];
    for (let i = 0; i < 80; i++) {
      const mid = (lo + hi) / 2;
      if (1 - survival(mid) < p) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  return { survival, quantile };
}

/** Expected number of reads: a read happens when the run was still going at the read before it. */
function expectedReads(model, reads) {
  let n = 0;
  let previous = 0;
  for (const t of reads) {
    n += model.survival(previous);
    previous = t;
  }
  return n;
}

function range(from, to, step) {
  const out = [];
  for (let t = from; t < to; t += step) out.push(t);
  return out;
}

/**
 * For a run of median `medianMs` and spread `sigma`: the least expected reads, as a share of the ideal fixed
 * poller's, that give a median lag ≤ `lagMs` under the rules above.
 */
export function coverBound(medianMs, sigma, { intervalMs, lagMs }) {
  const model = logNormal(medianMs, sigma);
  const horizon = model.quantile(1 - 1e-6);
  const fixed = expectedReads(model, range(intervalMs, horizon + intervalMs, intervalMs));
  const early = model.quantile(0.01);
  let best = Infinity;
  for (let a = early; ; a += 1000) {
    const fa = 1 - model.survival(a);
    if (fa + 0.5 >= 1 - 1e-6) break;
    const b = model.quantile(fa + 0.5);
    const reads = [2000, 4000, ...range(early, a, intervalMs), ...range(a, b + lagMs, lagMs), ...range(b + lagMs + intervalMs, horizon + intervalMs, intervalMs)];
    best = Math.min(best, expectedReads(model, reads));
  }
  return best / fixed;
}

/** The bound over the bench's long runs (their history medians), pooled as the bench pools them. */
export function pollingBound(runs, { sigma, intervalMs, lagMs }) {
  const cache = new Map();
  let share = 0;
  let fixedTotal = 0;
  for (const r of runs) {
    const key = r.historyMedian;
    if (!cache.has(key)) {
      const model = logNormal(key, sigma);
      const fixed = expectedReads(model, range(intervalMs, model.quantile(1 - 1e-6) + intervalMs, intervalMs));
      cache.set(key, { ratio: coverBound(key, sigma, { intervalMs, lagMs }), fixed });
    }
    const { ratio, fixed } = cache.get(key);
    share += ratio * fixed;
    fixedTotal += fixed;
  }
  return share / fixedTotal;
}
