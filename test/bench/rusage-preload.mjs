// Loaded with `node --import` into the cachectl process the benchmark measures: on exit it writes
// the process's own resource usage (peak RSS, CPU time) to BENCH_RUSAGE_FILE. Exact, and needs
// no GNU time or /proc polling.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RUSAGE_FILE;
if (file) {
  process.on('exit', () => {
    const r = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKiB: r.maxRSS, userUs: r.userCPUTime, systemUs: r.systemCPUTime }));
  });
}
