/** What `cachectl sandbox up|status|down|env` run, imported by sandbox.ts only when one runs. */
import type { CommandContext } from './context.js';
import { pgUrlFrom } from './options.js';
import { DEFAULTS } from '../config/defaults.js';
import { ConnectionError, ExitCode, UsageError } from '../errors.js';
import { hasControlChars } from '../core/text.js';
import { sandboxDown, sandboxHealth, sandboxUp, type SandboxEvent } from '../adapters/sandbox/sandbox.js';
import { databaseUrl } from '../adapters/sandbox/postgres.js';
import { readState, resolveSandboxDir } from '../adapters/sandbox/state.js';
import { isNonFolder } from '../adapters/files/local-files.js';
import { renderDown, renderEnv, renderStatus, renderUp, renderUpNotes, sandboxProgress, statusJson, upJson } from '../reporters/sandbox.js';
import { outputFor } from '../reporters/output.js';
import type { SandboxFlags, UpFlags } from './sandbox.js';

/** The sandbox folder; a path the file system would refuse is a usage error naming where it came from. */
function dirOf(flags: SandboxFlags, ctx: CommandContext): string {
  const from = flags.dir !== undefined ? '--dir' : 'CACHECTL_SANDBOX_DIR';
  const given = flags.dir ?? ctx.io.env.CACHECTL_SANDBOX_DIR;
  if (given !== undefined && given.trim() === '') throw new UsageError(`${from}: the path is empty; name a folder (default: ${DEFAULTS.sandbox.dir})`);
  if (given !== undefined && hasControlChars(given)) throw new UsageError(`${from}: the path contains a control character`);
  const dir = resolveSandboxDir(flags.dir, ctx.io.env, ctx.io.cwd);
  if (Buffer.byteLength(dir) > MAX_PATH_BYTES || dir.split('/').some((name) => Buffer.byteLength(name) > MAX_NAME_BYTES)) {
    throw new UsageError(`${from}: the path is ${dir.length} characters long; at most ${MAX_PATH_BYTES} bytes, ${MAX_NAME_BYTES} per folder name`);
  }
  if (isNonFolder(dir)) throw new UsageError(`${from}: ${dir} is a file, not a folder`);
  return dir;
}

/** Linux's PATH_MAX (with its NUL) and NAME_MAX: longer is ENAMETOOLONG from the first mkdir. */
const MAX_PATH_BYTES = 4095;
const MAX_NAME_BYTES = 255;

export async function sandboxUpAction(flags: UpFlags, ctx: CommandContext): Promise<void> {
  const products = positiveInt(flags.products, '--products');
  const users = positiveInt(flags.users, '--users');
  if (!/^[a-z_][a-z0-9_]*$/.test(flags.database)) throw new UsageError(`--database: '${flags.database}' must be lower-case letters, digits and _`);
  const out = outputFor(ctx.io, { json: flags.json, color: ctx.color });
  const progress = sandboxProgress(out);
  const result = await sandboxUp({
    dir: dirOf(flags, ctx),
    env: ctx.io.env,
    pgAdminUrl: sandboxServerUrl(flags, ctx, progress),
    database: flags.database,
    products,
    usersPerTenant: users,
    timeoutMs: DEFAULTS.sandbox.startTimeoutMs,
    onEvent: progress,
    signal: ctx.io.signal,
  });
  if (out.json) return out.document(upJson(result));
  out.diagnostic(renderUpNotes(result));
  out.result(renderUp(result, out.style));
}

/**
 * Where `up` creates its database: --pg, else DATABASE_URL, unless DATABASE_URL is the one an
 * earlier sandbox exported (CACHECTL_SANDBOX_DATABASE_URL): then its server (external) or a new
 * embedded one, never the stale address (`sandbox down; sandbox up` in the same shell).
 */
function sandboxServerUrl(flags: UpFlags, ctx: CommandContext, emit: (e: SandboxEvent) => void): string | undefined {
  if (flags.pg !== undefined) return pgUrlFrom({ pg: flags.pg }, ctx.io);
  const env = ctx.io.env;
  if (env.DATABASE_URL && env.DATABASE_URL === env.CACHECTL_SANDBOX_DATABASE_URL) {
    const adminDb = env.CACHECTL_SANDBOX_ADMIN_DB;
    if (adminDb === undefined) {
      emit({
        type: 'note',
        message:
          'DATABASE_URL is the embedded PostgreSQL an earlier sandbox exported; starting a new one (eval "$(cachectl sandbox env)" after up updates the shell)',
      });
      return undefined;
    }
    emit({
      type: 'note',
      message: `DATABASE_URL is the database an earlier sandbox created; creating the new one on the same server (its database ${adminDb})`,
    });
    return databaseUrl(pgUrlFrom({}, ctx.io) as string, adminDb);
  }
  return pgUrlFrom({}, ctx.io);
}

export async function sandboxStatusAction(flags: SandboxFlags, ctx: CommandContext): Promise<void> {
  const state = readState(dirOf(flags, ctx));
  const health = state ? await sandboxHealth(state) : [];
  const out = outputFor(ctx.io, { json: flags.json, color: ctx.color });
  if (out.json) out.document(statusJson(state, health));
  else out.result(renderStatus(state, health, out.style, out.width));
  if (!state || !state.complete || health.some((h) => !h.ok)) ctx.exitCode = ExitCode.incomplete;
}

export async function sandboxDownAction(flags: SandboxFlags, ctx: CommandContext): Promise<void> {
  const dir = dirOf(flags, ctx);
  const out = outputFor(ctx.io, { json: flags.json, color: ctx.color });
  const result = await sandboxDown(dir, sandboxProgress(out));
  if (out.json) out.document({ dir, ...result });
  else out.result(renderDown(dir, result));
  if (result.stopped.some((s) => s.outcome === 'not-ours') || result.database?.outcome === 'unreachable') ctx.exitCode = ExitCode.incomplete;
}

export function sandboxEnvAction(flags: SandboxFlags, ctx: CommandContext): void {
  const state = readState(dirOf(flags, ctx));
  if (!state?.complete) throw new ConnectionError(`no sandbox is up in ${dirOf(flags, ctx)}: run cachectl sandbox up first`);
  outputFor(ctx.io).result(renderEnv(state));
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text.replace(/_/g, ''));
  // Past 2^53 a number is silently rounded (99999999999999999999 would seed 10^20).
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag}: '${text}' is not a positive whole number`);
  return n;
}
