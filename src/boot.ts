/**
 * How bin/cachectl loads the CLI bundle (dist/cli.cjs): through V8's code cache where it can.
 * About a third of a small warm's CPU went to parsing the bundle and compiling its functions to
 * bytecode, the same work in every run. Here the bytecode of an earlier run of the same command is
 * read back from a cache file instead (node 22 has this built in, module.enableCompileCache;
 * node 20 does not). The cache is an optimisation only: whenever it cannot be used safely, the
 * bundle is loaded as any CommonJS file, and a failure to read or write it is never an error.
 *
 * Where: $CACHECTL_CODE_CACHE (a directory, or `off`), else $XDG_CACHE_HOME/cachectl, else
 * ~/.cache/cachectl. A cache file is code this process will run, so it is read only from a
 * directory and a file owned by this user and writable by no one else, and written whole (a
 * temporary file renamed). Its name says which bundle (size and modification time), node version,
 * architecture and node flags it is for; V8 checks its own version and flags, and the source's
 * length, again, and rejects a file that does not fit (it is rewritten after that run).
 */
import Module, { createRequire } from 'node:module';
import vm from 'node:vm';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandWord } from './config/argv.js';

/** off: not asked for (or not possible); unsafe: the directory or file is not this user's alone. */
export type CodeCacheState = 'off' | 'unsafe' | 'absent' | 'rejected' | 'used';

export interface LoadedBundle {
  /** The bundle's module.exports. */
  readonly exports: Record<string, unknown>;
  readonly cache: CodeCacheState;
  /**
   * After the run, with its exit code: writes the cache file when there was none to use, and only
   * after a run that did its work (0, or 1: finished with failures), so that a usage error's few
   * functions do not become the cache every later run of the command reads.
   */
  save(exitCode: number | string | undefined): void;
}

export interface LoadOptions {
  /** The command line, for the cache's name: each command has its own (their code differs). */
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Source maps on (--verbose): node maps stacks only for files its own loader loads. */
  sourceMaps?: boolean;
}

/**
 * bin/cachectl's start: the CLI bundle next to this file, source maps on for `--verbose` or
 * DEBUG=cachectl (a stack trace is printed only then, and names src/ lines through them).
 */
export function loadCli(argv: readonly string[], env: NodeJS.ProcessEnv): LoadedBundle {
  const sourceMaps = argv.includes('--verbose') || /\bcachectl\b|\*/.test(env.DEBUG ?? '');
  if (sourceMaps) process.setSourceMapsEnabled(true);
  // A path, not the URL's pathname: an install path with a space or a non-ASCII character is percent-encoded in a URL.
  return loadBundle(fileURLToPath(new URL('./cli.cjs', import.meta.url)), { argv, env, sourceMaps });
}

/** Loads a CommonJS bundle, with V8's code cache when it can. */
export function loadBundle(file: string, options: LoadOptions): LoadedBundle {
  const dir = cacheDir(options.env);
  const dynamicImport = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (dir === undefined || options.sourceMaps || dynamicImport === undefined) return plain(file);
  let bundle: Stats;
  try {
    bundle = statSync(file);
  } catch {
    return plain(file);
  }
  if (!ownDirectory(dir)) return plain(file, 'unsafe');
  const name = cacheName(file, bundle, options.argv);
  const cacheFile = join(dir, name.file);
  const cached = readOwnFile(cacheFile);
  if (cached === 'unsafe') return plain(file, 'unsafe');
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), {
    filename: file,
    cachedData: cached,
    importModuleDynamically: dynamicImport,
  });
  const state: CodeCacheState = cached === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'used';
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;
  const module = { exports: {} as Record<string, unknown> };
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return {
    exports: module.exports,
    cache: state,
    save(exitCode) {
      if (state === 'used' || (exitCode !== 0 && exitCode !== 1)) return;
      try {
        const temporary = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
        renameSync(temporary, cacheFile);
        // The same command's caches for earlier builds, node versions or flags are not read again.
        for (const other of readdirSync(dir))
          if (other.startsWith(name.prefix) && other !== name.file && other.endsWith('.v8cache')) unlinkSync(join(dir, other));
      } catch {
        // A read-only or full disk: the next run compiles again, as without a cache.
      }
    },
  };
}

function plain(file: string, cache: CodeCacheState = 'off'): LoadedBundle {
  return { exports: createRequire(file)(file) as Record<string, unknown>, cache, save() {} };
}

function cacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const asked = env.CACHECTL_CODE_CACHE;
  if (asked === 'off' || asked === '0') return undefined;
  if (asked) return asked;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'cachectl');
  try {
    return join(homedir(), '.cache', 'cachectl');
  } catch {
    return undefined;
  }
}

/** This user's, and writable by no one else (created so when missing). */
function ownDirectory(dir: string): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stats = statSync(dir);
    return stats.isDirectory() && mine(stats);
  } catch {
    return false;
  }
}

/** The file's bytes; undefined when there is none; 'unsafe' when it is not this user's alone. */
function readOwnFile(file: string): Buffer | undefined | 'unsafe' {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile() || !mine(stats)) return 'unsafe';
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function mine(stats: Stats): boolean {
  const uid = process.getuid?.();
  return (uid === undefined || stats.uid === uid) && (stats.mode & 0o022) === 0;
}

/** <bundle>-<command>-<size>-<mtime>-<node version>-<arch>-<node flags>.v8cache, and its prefix up to the command. */
function cacheName(file: string, bundle: Stats, argv: readonly string[]): { file: string; prefix: string } {
  const args = argv.slice(2);
  const command = commandWord(argv);
  // Help and --version run little of a command's code: a cache of their own, not the command's.
  const help = args.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V') || command === 'help';
  const name = help ? 'help' : command && /^[a-z][a-z-]{0,19}$/.test(command) ? command : 'other';
  let flags = 0x811c9dc5;
  for (const c of process.execArgv.join(' ')) flags = Math.imul(flags ^ (c.codePointAt(0) as number), 0x01000193) >>> 0;
  const base = basename(file);
  const prefix = `${base}-${name}-`;
  return { prefix, file: `${prefix}${bundle.size}-${Math.floor(bundle.mtimeMs)}-${process.version}-${process.arch}-${flags.toString(16)}.v8cache` };
}
