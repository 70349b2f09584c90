/**
 * What the counted Firestore reads and writes cost per month, from the per-push and per-tick counts
 * of this run, at an assumed push rate (`--pushes-per-day`, followed-branch pushes; ignored pushes
 * touch no document) and the tick every 5 minutes (infra/scheduler.tf).
 *
 * List prices per 100,000 documents, Firestore Standard edition (docs/benchmarks.md cites where they
 * come from): a regional database (infra's default: `firestore_location` = the region, e.g.
 * us-central1) and a multi-region one (nam5). The free quota (50,000 reads, 20,000 writes and 20,000
 * deletes a day) is not subtracted; the figure's detail says whether the load fits in it.
 */
import type { PushCost } from './bench-push.js';
import type { TickCost } from './bench-tick.js';
import { type Figure, info, round } from './report.js';

export const PRICES_PER_100K = {
  regional: { location: 'us-central1', reads: 0.03, writes: 0.09, deletes: 0.01 },
  multiRegion: { location: 'nam5', reads: 0.06, writes: 0.18, deletes: 0.02 },
} as const;

export const FREE_PER_DAY = { reads: 50_000, writes: 20_000, deletes: 20_000 };
const DAYS_PER_MONTH = 30;
const TICKS_PER_DAY = (24 * 60) / 5;

export function costFigures(push: PushCost, tick: TickCost, pushesPerDay: number): Figure[] {
  const perDay = {
    reads: pushesPerDay * push.readsPerPush + TICKS_PER_DAY * tick.readsPerTick,
    writes: pushesPerDay * push.writesPerPush + TICKS_PER_DAY * tick.writesPerTick,
    deletes: pushesPerDay * push.deletesPerPush,
  };
  const assumptions = {
    pushesPerDay,
    ticksPerDay: TICKS_PER_DAY,
    perPush: {
      reads: push.readsPerPush,
      writes: push.writesPerPush,
      deletes: push.deletesPerPush,
      versions: push.versions,
      activeDeployments: push.activeDeployments,
    },
    perTick: { reads: tick.readsPerTick, writes: tick.writesPerTick, versions: tick.versions },
    perDay,
    fitsInFreeQuota: perDay.reads <= FREE_PER_DAY.reads && perDay.writes <= FREE_PER_DAY.writes,
    freeQuotaPerDay: FREE_PER_DAY,
  };
  return Object.entries(PRICES_PER_100K).map(([kind, price]) => {
    const monthly =
      (DAYS_PER_MONTH *
        (perDay.reads * price.reads + perDay.writes * price.writes + perDay.deletes * price.deletes)) /
      100_000;
    return info({
      bench: 'cost',
      id: `cost.month.${kind}`,
      label: `Firestore per month, ${price.location} list prices, ${pushesPerDay} pushes/day (${push.versions} versions) + a tick every 5 min (${tick.versions} versions; ${Math.round(perDay.reads)} reads, ${Math.round(perDay.writes)} writes a day; free quota not subtracted)`,
      value: round(monthly, 2),
      unit: 'USD',
      detail: { pricesPer100k: price, ...assumptions },
    });
  });
}
