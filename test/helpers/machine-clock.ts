/**
 * Scaled time for contract tests that run the engine in this process against the simulator.
 *
 * The engine and its HTTP client take every wait and every "now" from an injected Clock. In a scaled world
 * the engine gets a clock of its own (this machine's clock) and the simulator's clock is driven with it:
 *
 * - both clocks run `scale` times faster than real time, but only while the engine sleeps on its clock
 *   (a poll gap, a start window's next look, a Retry-After wait, a retry back-off);
 * - while the engine works (sends a request, reads an answer, loads a module) both stand still.
 *
 * So every simulated duration (a run's length, a start window, a step's timeout, a rate-limit window) costs
 * 1/scale of its real-time length, and a loaded machine cannot eat into a window: the requests themselves
 * take no simulated time, as if server and network answered at once. What a test sets up before the step
 * (a run in flight, a budget spent by another job) is still there, unchanged, at the step's first request.
 * HTTP stays real loopback; per-request timeouts stay in real time (they guard against a hung socket).
 *
 * The machine's clock is not the simulator's: it starts equal to the server's (or at the real time now, when
 * the test starts the server elsewhere with `startEpochMs`) and moves with it, but `sim.clock.advance` moves
 * only the server, as a real server's clock would move apart from ours.
 */
import { systemClock, type Clock } from '../../src/core/clock.js';
import { SimClock } from '../../src/simulator/clock.js';
import type { Simulator } from '../../src/simulator/index.js';

/** How much faster than real time the contract suites that opt in run, while the engine sleeps. */
export const CONTRACT_TIME_SCALE = 10;

/**
 * The engine's clock for a world whose simulator was started with `timeScale`: the system clock at 1 (nothing
 * changes); above 1, this machine's clock, and from now on the simulator's clock runs only with it (see above).
 * `serverStartGiven`: the test chose the server's start time, so the machine's clock starts at the real now.
 */
export function machineClock(sim: Simulator, serverStartGiven = false): Clock {
  const scale = sim.clock.timeScale;
  // At 1 nothing changes; at 0 the test moves the simulator's clock itself (and drives no engine by this clock).
  if (scale === 1 || scale === 0) return systemClock;
  if (!(scale > 1)) throw new RangeError(`machineClock needs a simulator running at real time or faster, got timeScale ${scale}`);
  const machine = new SimClock({ timeScale: 0, startEpochMs: serverStartGiven ? Date.now() : sim.clock.now() });
  sim.clock.timeScale = 0;
  let sleepers = 0;
  const setScale = (value: number) => {
    sim.clock.timeScale = value;
    machine.timeScale = value;
  };
  return {
    now: () => machine.now(),
    sleep: (ms, signal) => {
      if (sleepers++ === 0) setScale(scale);
      return systemClock.sleep(ms / scale, signal).finally(() => {
        if (--sleepers === 0) setScale(0);
      });
    },
  };
}

/** Calls `fn` once `simMs` have passed on the simulator's clock, however it runs; returns a cancel. */
export function afterSimulated(sim: Simulator, simMs: number, fn: () => void): () => void {
  const at = sim.clock.now() + simMs;
  const timer = setInterval(() => {
    if (sim.clock.now() < at) return;
    clearInterval(timer);
    fn();
  }, 1);
  return () => clearInterval(timer);
}
