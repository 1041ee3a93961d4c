/**
 * What each added key of a warm costs, beyond the part of a run that does not grow with it: the
 * difference of two runs of the same warm at two sizes, over the keys between them.
 */
import { cpus } from 'node:os';
import { formatCount, type CpuBudget, type Target } from './report.js';

/**
 * What each key costs beyond a run's fixed part (start-up, TurboFan's first compiles, the heap's
 * growth): the difference between a small and a large run of the same warm, over the keys
 * between them. Their difference cancels what both pay once.
 */
export function marginalBudget(run: string, small: CpuBudget, large: CpuBudget): CpuBudget {
  const keys = large.keys - small.keys;
  const added = (pick: (b: CpuBudget) => number) => (pick(large) * large.keys - pick(small) * small.keys) / keys;
  const seconds = large.keys / large.keysPerSecond - small.keys / small.keysPerSecond;
  const perKey = added((b) => b.cachectlUs) + added((b) => b.redisUs) + added((b) => b.postgresUs);
  const helpers = small.helpersUs !== undefined && large.helpersUs !== undefined ? { helpersUs: added((b) => b.helpersUs ?? 0) } : {};
  return {
    run,
    keys,
    keysPerSecond: keys / seconds,
    cachectlUs: added((b) => b.cachectlUs),
    ...helpers,
    redisUs: added((b) => b.redisUs),
    postgresUs: added((b) => b.postgresUs),
    otherUs: Math.max(
      0,
      added((b) => b.otherUs),
    ),
    machineBusy: large.machineBusy,
    cpuBoundRate: perKey > 0 ? (cpus().length * 1e6) / perKey : 0,
  };
}

/** The per-key goals on what each added key costs (marginalBudget), and what the smaller run paid once. */
export function perAddedKey(
  what: 'stream' | 'key list',
  goal: number,
  small: CpuBudget,
  large: CpuBudget,
): { budget: CpuBudget; targets: Target[]; context: string } {
  const between = `${formatCount(small.keys)} to ${formatCount(large.keys)}`;
  const m = marginalBudget(`warm ${what} ${between}, per added key`, small, large);
  const fixed = ((small.cachectlUs - m.cachectlUs) * small.keys) / 1e6;
  const fixedHelpers = small.helpersUs !== undefined && m.helpersUs !== undefined ? ((small.helpersUs - m.helpersUs) * small.keys) / 1e6 : undefined;
  const ratio = m.cachectlUs / Math.max(1e-9, m.redisUs);
  return {
    budget: m,
    targets: [
      {
        figure: `cachectl CPU per added key, ${what} -> cluster, ${between} (us)`,
        measured: m.cachectlUs,
        target: `<= ${goal}`,
        met: m.cachectlUs <= goal,
        how: 'difference of the two runs / keys between them',
      },
      { figure: `cachectl / Redis CPU per added key, ${what} -> cluster`, measured: ratio, target: '<= 0.3', met: ratio <= 0.3, how: 'same runs' },
    ],
    context: `cachectl CPU that does not grow with a ${what} warm's size (its ${between} runs): ${fixed.toFixed(2)} s${fixedHelpers !== undefined ? `, of it helper threads ${fixedHelpers.toFixed(2)} s` : ''}; each added key ${m.cachectlUs.toFixed(2)} us`,
  };
}
