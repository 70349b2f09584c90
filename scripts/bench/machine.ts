/** The machine a run was measured on, for docs/benchmarks.md. */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Machine {
  date: string;
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  /** The Firestore emulator's Java. */
  java: string;
  commit: string;
  /** 1-minute load average when the run started: other work on a shared machine shows here. */
  loadAverage1m: number;
}

/** The first line a command prints (stdout, else stderr: `java -version` writes there). */
function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  const text = `${result.stdout ?? ''}`.trim() || `${result.stderr ?? ''}`.trim();
  return text.split('\n')[0] || 'unknown';
}

export function describeMachine(): Machine {
  return {
    date: new Date().toISOString(),
    nproc: Number(run('nproc', [])) || cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    java: run('java', ['-version']),
    commit: run('git', ['rev-parse', '--short', 'HEAD']),
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}
