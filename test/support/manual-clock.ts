/**
 * A clock that stands still until the test moves it. A rule of time ("not before T", "older than
 * 3 h") is then tested by putting the clock where the rule needs it, never by racing the real clock:
 * what a test checks "before T" is before T however slow the machine is.
 */
import type { Clock } from '../../functions/core/ports.js';

export class ManualClock {
  private nowMs: number;

  /** Starts at `start` (the real time by default, so tokens and timestamps look ordinary). */
  constructor(start: Date = new Date()) {
    this.nowMs = start.getTime();
  }

  /** The clock to inject (`Clock` of the functions; `() => Date`). */
  readonly now: Clock = () => new Date(this.nowMs);

  /** Moves the clock forward by `ms`. */
  advance(ms: number): Date {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward (advance by ${ms} ms)`);
    this.nowMs += ms;
    return this.now();
  }

  /** Moves the clock forward to `at` (a clock already there or past it stays where it is). */
  advanceTo(at: Date): Date {
    this.nowMs = Math.max(this.nowMs, at.getTime());
    return this.now();
  }
}
