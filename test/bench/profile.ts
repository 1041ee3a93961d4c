/**
 * Where a cachectl run spends its CPU: the child is started with `--cpu-prof`, and the V8
 * profile is folded into self time per function (the top of a flame graph, as a list).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
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
  const maps = new Map<string, SourceMap | undefined>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    total += hits;
    const { functionName, url } = node.callFrame;
    const { file, line } = original(node.callFrame, maps);
    const where = url ? `${shortPath(file)}:${line + 1}` : '';
    const key = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, hits]) => ({ name, share: total > 0 ? hits / total : 0 }));
}

/** dist/ is a bundle: a function's place in src/ (or node_modules/) comes from the chunk's source map. */
function original(frame: ProfileNode['callFrame'], maps: Map<string, SourceMap | undefined>): { file: string; line: number } {
  const { url, lineNumber, columnNumber } = frame;
  if (!url.startsWith('file://')) return { file: url, line: lineNumber };
  const js = fileURLToPath(url);
  if (!maps.has(js)) maps.set(js, existsSync(`${js}.map`) ? new SourceMap(JSON.parse(readFileSync(`${js}.map`, 'utf8'))) : undefined);
  const entry = maps.get(js)?.findEntry(lineNumber, columnNumber);
  if (!entry || !('originalSource' in entry)) return { file: js, line: lineNumber };
  const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : resolve(dirname(js), entry.originalSource);
  return { file: source, line: entry.originalLine };
}

/** node_modules/<pkg>/..., dist/... or src/... instead of an absolute path. */
function shortPath(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) return path.slice(nm + 1);
  const m = /\/(dist|src)\/(.*)$/.exec(path);
  return m ? `${m[1]}/${m[2]}` : path;
}
