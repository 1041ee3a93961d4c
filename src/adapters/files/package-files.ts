/**
 * Files of the cachectl package itself, found from wherever the running code lives: src/ under
 * tsx (tests), or dist/, where the build bundles modules (the CLI into dist/cli.cjs, the scripts
 * started as processes into entries and shared chunks), so a module's own URL says nothing about
 * where its neighbours are.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fromSource = import.meta.url.endsWith('.ts');

let found: { root: string; version: string } | undefined;

/** cachectl's package.json, found once per process: its directory and version. */
function ownPackage(): { root: string; version: string } {
  if (found) return found;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'cachectl') return (found = { root: dir, version: pkg.version ?? '0.0.0' });
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cachectl's package.json was not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The directory holding cachectl's package.json. */
export function packageRoot(): string {
  return ownPackage().root;
}

export function packageVersion(): string {
  return ownPackage().version;
}

/**
 * A script of the package to run as its own node process, named by its path under src/ without
 * the extension ('adapters/herd/worker-main'): the build's entry dist/<path>.js, or the
 * TypeScript source with tsx's loader when cachectl itself runs from source.
 */
export function packageScript(path: string): { script: string; nodeArgs: string[] } {
  if (!fromSource) return { script: join(packageRoot(), 'dist', `${path}.js`), nodeArgs: [] };
  // Resolved here: a detached child's cwd may differ, and tsx must come from this package.
  return { script: join(packageRoot(), 'src', `${path}.ts`), nodeArgs: ['--import', import.meta.resolve('tsx')] };
}
