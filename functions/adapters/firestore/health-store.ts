/**
 * The pipeline's health in Firestore: one document, `health/tick`, replaced by every tick after its
 * steps (core/tick-health.ts) and read by the status page. Readable in the console; a value edited
 * there into something else is read as well as it can be, never thrown on.
 */
import type { DocumentData, Firestore } from '@google-cloud/firestore';
import type { HealthProblem, TickHealth, TickHealthReader, TickHealthStore } from '../../core/tick-health.js';
import { toDate } from './codec.js';

/** The collection and the one document in it. */
export const HEALTH_COLLECTION = 'health';
export const TICK_HEALTH_DOC = 'tick';

function problemFromDoc(value: unknown): HealthProblem | null {
  if (typeof value !== 'object' || value === null) return null;
  const { step, severity, message } = value as Record<string, unknown>;
  if (typeof step !== 'string' || typeof message !== 'string') return null;
  return { step, severity: severity === 'warning' ? 'warning' : 'error', message };
}

/** The stored record, or null when there is none or it has no readable `ranAt`. */
export function tickHealthFromDoc(data: DocumentData | undefined): TickHealth | null {
  const ranAt = toDate(data?.ranAt);
  if (!data || ranAt === null) return null;
  const problems = Array.isArray(data.problems) ? data.problems.map(problemFromDoc) : [];
  return {
    ranAt,
    ok: data.ok === true,
    problems: problems.filter((problem): problem is HealthProblem => problem !== null),
  };
}

/** The tick writes it (use-cases/tick.ts); the status reader reads it. */
export class FirestoreTickHealthStore implements TickHealthStore, TickHealthReader {
  constructor(private readonly db: Firestore) {}

  private get ref() {
    return this.db.collection(HEALTH_COLLECTION).doc(TICK_HEALTH_DOC);
  }

  /** One write, the whole document: the last tick's record replaces the one before. */
  async writeTickHealth(health: TickHealth): Promise<void> {
    await this.ref.set({ ranAt: health.ranAt, ok: health.ok, problems: health.problems });
  }

  async readTickHealth(): Promise<TickHealth | null> {
    return tickHealthFromDoc((await this.ref.get()).data());
  }
}
