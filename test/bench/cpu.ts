/**
 * Where a run's CPU goes on the whole machine: the cachectl process (its own rusage), the Redis
 * servers of the topology (/proc/<pid>/stat), and everything else (machine-wide /proc/stat busy
 * time less those two: PostgreSQL's backends, and on a quiet machine little more).
 *
 * This is what tells a slow warm from a saturated machine: on 2 cores, PostgreSQL, three Redis
 * servers and cachectl share the same two CPUs, so a warm's rate is bounded by the sum of their
 * CPU cost per key, whatever each does alone.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** utime + stime of a live process, in seconds. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Machine-wide busy and total CPU seconds since boot (all cores). */
export function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] as string;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { busy: busy / TICKS_PER_SECOND, total: (busy + (idle ?? 0) + (iowait ?? 0)) / TICKS_PER_SECOND };
}

export interface CpuSplit {
  /** CPU seconds of the Redis servers given. */
  redis: number;
  /** CPU seconds of the PostgreSQL backends serving the database named (sampled, see PgBackends). */
  postgres: number;
  /** Machine-wide busy seconds during the run. */
  machine: number;
  /** Machine-wide capacity during the run (wall x cores). */
  capacity: number;
}

/**
 * CPU of the PostgreSQL backends of one database, on a server shared with other sessions: a
 * backend's process title names its database (`postgres: user db host(port) ...`), and its CPU
 * is read every `everyMs` while it lives (a backend that exits takes its last interval with it).
 */
export class PgBackends {
  private readonly seen = new Map<number, { first: number; last: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly database: string,
    private readonly everyMs = 100,
  ) {}

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.everyMs);
  }

  /** CPU seconds of the database's backends since start (backends already there count from then). */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    let n = 0;
    for (const s of this.seen.values()) n += s.last - s.first;
    return n;
  }

  private sample(): void {
    const first = this.timer === undefined;
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      try {
        const known = this.seen.get(pid);
        if (!known) {
          const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          if (!cmd.startsWith('postgres: ') || !cmd.includes(` ${this.database} `)) continue;
          const cpu = processCpuSeconds(pid);
          // A backend born during the run counts from zero; one already there from now.
          this.seen.set(pid, { first: first ? cpu : 0, last: cpu });
        } else known.last = processCpuSeconds(pid);
      } catch {
        // Gone between the listing and the read.
      }
    }
  }
}

/** Runs `work` and reports the Redis servers', the database's backends' and the machine's CPU seconds during it. */
export async function measureCpu<T>(redisPids: readonly number[], work: () => Promise<T>, database?: string): Promise<{ result: T; cpu: CpuSplit }> {
  const backends = database ? new PgBackends(database) : undefined;
  backends?.start();
  const redisBefore = redisPids.reduce((n, pid) => n + processCpuSeconds(pid), 0);
  const machineBefore = machineCpuSeconds();
  let result: T;
  let postgres = 0;
  try {
    result = await work();
  } finally {
    postgres = backends?.stop() ?? 0;
  }
  const machineAfter = machineCpuSeconds();
  const redisAfter = redisPids.reduce((n, pid) => n + processCpuSeconds(pid), 0);
  return {
    result,
    cpu: { redis: redisAfter - redisBefore, postgres, machine: machineAfter.busy - machineBefore.busy, capacity: machineAfter.total - machineBefore.total },
  };
}

/**
 * Waits until the machine is quiet (busy under `threshold` of all cores over a 250 ms window),
 * at most `limitMs`: after a FLUSHALL of millions of keys, Redis's allocator returns memory to the
 * system in background threads for seconds, and that CPU would be charged to the next run.
 */
export async function waitForQuiet(threshold = 0.2, limitMs = 15_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    const a = machineCpuSeconds();
    await new Promise((resolve) => setTimeout(resolve, 250));
    const b = machineCpuSeconds();
    const busy = (b.busy - a.busy) / Math.max(1e-9, b.total - a.total);
    if (busy < threshold || Date.now() - started > limitMs) return busy;
  }
}
