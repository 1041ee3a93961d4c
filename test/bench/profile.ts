/**
 * Where a cachectl run spends its CPU: the child is started with `--cpu-prof`, and the V8
 * profile is folded into self time per function (the top of a flame graph, as a list).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

export interface HotFunction {
  name: string;
  /** Share of all samples, 0..1. */
  share: number;
}

/** Top `n` functions by self time in the newest profile under `dir`. */
export function hottestFunctions(dir: string, n = 12): HotFunction[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  const last = files[files.length - 1];
  if (!last) return [];
  const profile = JSON.parse(readFileSync(join(dir, last), 'utf8')) as CpuProfile;
  const self = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    total += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url ? `${shortPath(url)}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, hits]) => ({ name, share: total > 0 ? hits / total : 0 }));
}

/** node_modules/<pkg>/..., dist/... or src/... instead of an absolute path. */
function shortPath(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + 1);
  const m = /\/(dist|src)\/(.*)$/.exec(path);
  return m ? `${m[1]}/${m[2]}` : path;
}
