// Loaded with `node --import` into the cachectl process the benchmark measures: on exit it writes
// the process's own resource usage (peak RSS, CPU time) to BENCH_RUSAGE_FILE. Exact, and needs
// no GNU time or /proc polling. On Linux it adds the CPU of the threads other than the main one
// (V8's TurboFan and GC helpers, libuv's pool), from /proc/self/task, in clock ticks.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const file = process.env.BENCH_RUSAGE_FILE;
const TICK_US = 10_000; // USER_HZ is 100 on Linux

function helperUs() {
  try {
    let ticks = 0;
    for (const task of readdirSync('/proc/self/task')) {
      if (task === String(process.pid)) continue;
      // Fields after the command name: state is the first, utime and stime the 12th and 13th.
      const fields = readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks * TICK_US;
  } catch {
    return undefined;
  }
}

if (file) {
  process.on('exit', () => {
    const r = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKiB: r.maxRSS, userUs: r.userCPUTime, systemUs: r.systemCPUTime, helperUs: helperUs() }));
  });
}
