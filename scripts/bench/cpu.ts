/**
 * Who used the CPU during a phase: the process running the functions (stack host) and the Firestore
 * emulator's JVM (a child of this process, found in /proc: Linux only, absent elsewhere).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { wallNow } from './context.js';
import type { HostCpu } from './host-protocol.js';
import { round } from './report.js';
import type { BenchStack } from './stack-client.js';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s. */
const TICKS_PER_SECOND = 100;

/** CPU seconds of this process's `java` children (the Firestore emulator), or null off Linux. */
function javaChildrenCpuSeconds(): number | null {
  try {
    let ticks = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      if (name !== 'java' || Number(fields[1]) !== process.pid) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

export interface CpuMark {
  at: number;
  host: HostCpu;
  emulatorSeconds: number | null;
}

export async function markCpu(stack: BenchStack): Promise<CpuMark> {
  return { at: wallNow(), host: await stack.cpu(), emulatorSeconds: javaChildrenCpuSeconds() };
}

/** Cores used on average between two marks, by the functions' process and by the emulator. */
export function cpuBetween(start: CpuMark, end: CpuMark) {
  const wallMs = end.at - start.at;
  const hostMs = end.host.userMs + end.host.systemMs - (start.host.userMs + start.host.systemMs);
  const active = end.host.loopActiveMs - start.host.loopActiveMs;
  const idle = end.host.loopIdleMs - start.host.loopIdleMs;
  return {
    wallMs: round(wallMs),
    functionsProcessCores: round(hostMs / wallMs, 2),
    functionsEventLoopBusy: round(active / Math.max(1, active + idle), 2),
    firestoreEmulatorCores:
      start.emulatorSeconds === null || end.emulatorSeconds === null
        ? null
        : round(((end.emulatorSeconds - start.emulatorSeconds) * 1000) / wallMs, 2),
    functionsCpuMs: round(hostMs),
  };
}
