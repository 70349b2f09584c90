/**
 * The real clock, which a test can move forward. A rule of time ("not before T", "older than 3 h")
 * is tested with T far away (the README's 20 minutes, 3 hours) and the clock moved to T, instead of
 * a T a few seconds away that a slow machine may pass before the test looked: what the test checks
 * "before T" is before T however slow the machine is, and it never waits for T.
 *
 * Time keeps flowing between moves: a clock that stood still would give two writes the same
 * timestamp, which the code may take for "nothing changed since I read it".
 */
import type { Clock } from '../../functions/core/ports.js';

export class MovableClock {
  private offsetMs = 0;

  /** The clock to inject (`Clock` of the functions; `() => Date`). */
  readonly now: Clock = () => new Date(Date.now() + this.offsetMs);

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward (advance by ${ms} ms)`);
    this.offsetMs += ms;
  }

  /** Moves the clock forward to `at`, unless it is there already. */
  advanceTo(at: Date): void {
    this.advance(Math.max(0, at.getTime() - this.now().getTime()));
  }
}
