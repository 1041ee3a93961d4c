/**
 * `cachectl sandbox up|status|down`: a local Redis Cluster, ring nodes with twemproxy in front,
 * and a seeded PostgreSQL, started as detached processes recorded in a state file, checked by
 * `status` and stopped by `down` (by recorded pid, only while the pid is still that process).
 */
import { envLines } from '../../core/sandbox/env.js';
import { existsSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CachectlError, ConnectionError, InterruptedError, redact, stopSignalOf } from '../../errors.js';
import { DEFAULTS } from '../../config/defaults.js';
import { findFreePorts, type SkippedPort } from './ports.js';
import { isSameProcess, readIdentity, SpawnFailedError, stopProcess } from './processes.js';
import { findNutcracker, formCluster, ping, PortTakenError, startRedisNode, startTwemproxy, twemproxyYaml, withClient } from './redis.js';
import {
  checkPostgres,
  createExternalDatabase,
  dropExternalDatabase,
  embeddedUrl,
  ForeignDatabaseError,
  seedSandboxDatabase,
  startEmbeddedPostgres,
} from './postgres.js';
import { acquireLock, readState, stateFile, writeState, type SandboxProcess, type SandboxState } from './state.js';
import type { ComponentHealth, DownResult, SandboxEvent, UpResult } from '../../core/sandbox/types.js';

export type { ComponentHealth, DownResult, SandboxEvent, UpResult };

export interface UpOptions {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** --pg or DATABASE_URL: create a database there instead of starting PGlite. */
  pgAdminUrl?: string;
  database: string;
  products: number;
  usersPerTenant: number;
  timeoutMs: number;
  onEvent?: (event: SandboxEvent) => void;
  /** SIGINT/SIGTERM: stop starting things, stop what was started, exit 130/143. */
  signal?: AbortSignal;
}

const RING_NAMES = ['ring-a', 'ring-b', 'ring-c'];

export async function sandboxUp(options: UpOptions): Promise<UpResult> {
  const emit = options.onEvent ?? (() => undefined);
  const release = acquireLock(options.dir);
  try {
    const existing = readState(options.dir);
    if (existing) {
      const health = await sandboxHealth(existing);
      if (existing.complete && health.every((h) => h.ok)) return { state: existing, alreadyUp: true, notes: [] };
      emit({ type: 'step', message: `a previous sandbox in ${options.dir} is incomplete or partly down; stopping what is left of it first` });
      await stopAll(existing, emit);
    }
    return await startAll(options, emit);
  } finally {
    release();
    if (!readState(options.dir)) removeIfEmpty(options.dir);
  }
}

async function startAll(options: UpOptions, emit: (e: SandboxEvent) => void): Promise<UpResult> {
  const { dir, timeoutMs } = options;
  const notes: string[] = [];
  const state: SandboxState = { version: 1, dir, startedAt: new Date().toISOString(), complete: false, processes: [], cluster: [], ring: [] };
  writeState(state);
  const record = (proc: SandboxProcess) => {
    state.processes.push(proc);
    writeState(state);
  };
  const checkpoint = () => {
    if (options.signal?.aborted) throw new InterruptedError(stopSignalOf(options.signal));
  };
  try {
    const taken = new Set<number>();
    const skipped: SkippedPort[] = [];
    const clusterPorts = await findFreePorts(DEFAULTS.sandbox.clusterBasePort, 3, { busPorts: true, taken, skipped });
    noteMoved('the Redis Cluster', DEFAULTS.sandbox.clusterBasePort, clusterPorts, skipped, emit);
    const ringPorts = await findFreePorts(DEFAULTS.sandbox.ringBasePort, 3, { taken, skipped });
    noteMoved('the ring nodes', DEFAULTS.sandbox.ringBasePort, ringPorts, skipped, emit);
    emit({ type: 'step', message: `starting a 3-master Redis Cluster on ports ${clusterPorts.join(', ')} and 3 ring nodes on ${ringPorts.join(', ')}` });
    const retry = portRetry(state, taken, emit);
    await settleAll([
      ...clusterPorts.map((first, i) =>
        retry(`cluster-${i + 1}`, first, true, (port) =>
          startRedisNode(dir, { name: `cluster-${i + 1}`, role: 'cluster', port, cluster: true }, timeoutMs, record, options.env),
        ),
      ),
      ...ringPorts.map((first, i) =>
        retry(RING_NAMES[i] as string, first, false, (port) =>
          startRedisNode(dir, { name: RING_NAMES[i] as string, role: 'ring', port, cluster: false }, timeoutMs, record, options.env),
        ),
      ),
    ]);
    checkpoint();
    const members = state.processes.filter((p) => p.role === 'cluster').sort((a, b) => a.port - b.port);
    await formCluster(members, timeoutMs);
    const ringNodes = state.processes.filter((p) => p.role === 'ring').sort((a, b) => a.name.localeCompare(b.name));
    state.cluster = members.map((m) => `127.0.0.1:${m.port}`);
    state.ring = ringNodes.map((n) => ({ address: `127.0.0.1:${n.port}`, name: n.name }));
    writeState(state);

    checkpoint();
    const [proxyPort] = await findFreePorts(DEFAULTS.sandbox.twemproxyBasePort, 1, { taken, skipped });
    noteMoved('twemproxy', DEFAULTS.sandbox.twemproxyBasePort, [proxyPort as number], skipped, emit);
    const configFile = join(dir, 'twemproxy.yml');
    const writeConfig = (port: number) =>
      writeFileSync(
        configFile,
        twemproxyYaml(
          port,
          ringNodes.map((n) => ({ port: n.port, name: n.name })),
          DEFAULTS.sandbox.ringHash,
        ),
      );
    writeConfig(proxyPort as number);
    state.ringConfigFile = configFile;
    const nutcracker = findNutcracker(options.env);
    if (nutcracker) {
      emit({ type: 'step', message: `starting twemproxy on port ${proxyPort} in front of the ring nodes` });
      const proxy = await retry('twemproxy', proxyPort as number, false, async (port) => {
        writeConfig(port);
        const [statsPort] = await findFreePorts(DEFAULTS.sandbox.twemproxyStatsBasePort, 1, { taken });
        return startTwemproxy(dir, nutcracker, { port, statsPort: statsPort as number }, configFile, timeoutMs, record);
      });
      state.twemproxy = { address: `127.0.0.1:${proxy.port}` };
    } else {
      notes.push(
        'nutcracker (twemproxy) is not installed, so no proxy runs in front of the ring nodes (Debian: apt-get install nutcracker); --ring-config works without it',
      );
    }
    writeState(state);

    checkpoint();
    await startPostgres(options, state, record, emit, notes);

    checkpoint();
    state.envFile = join(dir, 'sandbox.env');
    writeFileSync(state.envFile, envLines(state).join('\n') + '\n', { mode: 0o600 });
    state.complete = true;
    writeState(state);
    return { state, alreadyUp: false, notes };
  } catch (error) {
    emit({ type: 'step', message: `sandbox up ${error instanceof InterruptedError ? 'interrupted' : 'failed'}; stopping what it started` });
    await stopAll(state, emit).catch(() => undefined);
    throw explainStartFailure(error);
  }
}

/**
 * A DATABASE_URL left in the shell by an earlier sandbox whose embedded PostgreSQL is gone
 * (`sandbox down; sandbox up`): postgres@127.0.0.1, database postgres, a port the embedded server
 * picks, and nothing answering. Refused connections only: a live server there is used as asked.
 */
async function staleEmbeddedUrl(url: string): Promise<boolean> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const port = Number(parsed.port);
  const base = DEFAULTS.sandbox.embeddedPgBasePort;
  if (
    !['127.0.0.1', 'localhost'].includes(parsed.hostname) ||
    parsed.username !== 'postgres' ||
    parsed.pathname !== '/postgres' ||
    port < base ||
    port >= base + 100
  )
    return false;
  const check = await checkPostgres(url, false);
  return !check.ok && /ECONNREFUSED/.test(check.detail);
}

async function startPostgres(
  options: UpOptions,
  state: SandboxState,
  record: (p: SandboxProcess) => void,
  emit: (e: SandboxEvent) => void,
  notes: string[],
): Promise<void> {
  if (options.pgAdminUrl && (await staleEmbeddedUrl(options.pgAdminUrl))) {
    notes.push(
      `DATABASE_URL (${redact(options.pgAdminUrl)}) does not answer and is where an earlier sandbox ran its embedded PostgreSQL, so it is not used; after up, eval "$(cachectl sandbox env)" updates the shell`,
    );
  } else if (options.pgAdminUrl) {
    emit({ type: 'step', message: `creating database ${options.database} on ${redact(options.pgAdminUrl)}` });
    const url = await createExternalDatabase(options.pgAdminUrl, options.database);
    state.postgres = { kind: 'external', url, database: options.database, adminUrl: options.pgAdminUrl, products: options.products };
    writeState(state);
    emit({ type: 'step', message: seedingMessage(options) });
    await seedSandboxDatabase(url, { products: options.products, usersPerTenant: options.usersPerTenant });
    return;
  }
  const taken = new Set<number>();
  const skipped: SkippedPort[] = [];
  const [first] = await findFreePorts(DEFAULTS.sandbox.embeddedPgBasePort, 1, { taken, skipped });
  noteMoved('the embedded PostgreSQL', DEFAULTS.sandbox.embeddedPgBasePort, [first as number], skipped, emit);
  emit({ type: 'step', message: `starting the embedded PostgreSQL (PGlite) on port ${first}; ${seedingMessage(options)}` });
  const proc = await portRetry(state, taken, emit)('postgres', first as number, false, (port) => {
    // Recorded before it answers, so a failed start is still cleaned up.
    state.postgres = { kind: 'embedded', url: embeddedUrl(port), database: 'postgres', products: options.products };
    return startEmbeddedPostgres(options.dir, port, { products: options.products, usersPerTenant: options.usersPerTenant }, options.timeoutMs, record);
  });
  state.postgres = { kind: 'embedded', url: embeddedUrl(proc.port), database: 'postgres', products: options.products };
  notes.push('PostgreSQL is embedded (PGlite, in memory): set DATABASE_URL before `sandbox up` to use a real server instead');
}

function seedingMessage(options: UpOptions): string {
  return `seeding the demo catalogue: ${options.products.toLocaleString('en-US')} products, 20 categories, ${(2 * options.usersPerTenant).toLocaleString('en-US')} users`;
}

/**
 * Starts a server on `first`; when another process wins the race for that port (between our
 * check and the server's bind), forgets the dead attempt and tries the next free port.
 */
function portRetry(state: SandboxState, taken: Set<number>, emit: (e: SandboxEvent) => void) {
  return async (name: string, first: number, busPorts: boolean, start: (port: number) => Promise<SandboxProcess>): Promise<SandboxProcess> => {
    let port = first;
    for (let attempt = 1; ; attempt++) {
      try {
        return await start(port);
      } catch (error) {
        if (!(error instanceof PortTakenError) || attempt >= 5) throw error;
        state.processes = state.processes.filter((p) => !(p.name === name && !isSameProcess(p)));
        writeState(state);
        const [next] = await findFreePorts(port + 1, 1, { busPorts, taken });
        emit({ type: 'step', message: `${name}: port ${port} was taken meanwhile; using ${next}` });
        port = next as number;
      }
    }
  };
}

/**
 * The ports are predictable (a newcomer sees the same ones every day), so moving off them is
 * said once, with the ports passed over and why, e.g. another Redis already on 7000.
 */
function noteMoved(what: string, base: number, chosen: readonly number[], skipped: SkippedPort[], emit: (e: SandboxEvent) => void): void {
  const passed = skipped.splice(0).filter((s) => s.port >= base && s.port < Math.max(...chosen));
  if (passed.length === 0) return;
  const why = passed.map((s) => `${s.port} (${s.reason})`).join(', ');
  emit({
    type: 'note',
    message: `${what}: port${chosen.length > 1 ? 's' : ''} ${chosen.join(', ')} instead of ${base} up, because it skipped ${why}; \`ss -ltnp\` shows who listens there`,
  });
}

/** Waits for every start to finish (so each spawned process is recorded) before failing. */
async function settleAll(starts: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(starts);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function explainStartFailure(error: unknown): Error {
  if (error instanceof CachectlError) return error;
  if (error instanceof SpawnFailedError && error.errno === 'ENOENT') {
    const hint = error.command.includes('redis') ? 'install Redis (Debian: apt-get install redis-server; macOS: brew install redis)' : 'check the installation';
    return new ConnectionError(`sandbox: ${error.command} is not installed or not on PATH: ${hint}`);
  }
  if (error instanceof ForeignDatabaseError) return new ConnectionError(`sandbox: ${error.message}`);
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectionError(`sandbox: ${redact(message)}`, { cause: error });
}

/** Every component: is its process still the one we started, and does it answer? */
export async function sandboxHealth(state: SandboxState): Promise<ComponentHealth[]> {
  const checks = state.processes.map(async (p): Promise<ComponentHealth> => {
    const running = isSameProcess(p);
    const base = { name: p.name, role: p.role, address: `127.0.0.1:${p.port}`, pid: p.pid, running };
    if (!running) return { ...base, ok: false, detail: readIdentity(p.pid) ? 'pid now belongs to another process' : 'not running' };
    if (p.role === 'postgres') {
      const pg = await checkPostgres(state.postgres?.url ?? embeddedUrl(p.port), state.complete);
      return { ...base, ok: pg.ok, detail: pg.detail };
    }
    if (p.role === 'cluster') {
      const info = await withClient(p.port, (c) => c.call('CLUSTER', 'INFO') as Promise<string>).catch(() => '');
      const ok = info.includes('cluster_state:ok');
      return { ...base, ok, detail: ok ? 'cluster_state:ok' : info ? `cluster_state:${/cluster_state:(\w+)/.exec(info)?.[1] ?? '?'}` : 'does not answer' };
    }
    const ok = await ping(p.port);
    return { ...base, ok, detail: ok ? 'PONG' : 'does not answer' };
  });
  if (state.postgres?.kind === 'external') {
    const pgState = state.postgres;
    checks.push(
      checkPostgres(pgState.url, state.complete).then((r) => ({
        name: 'postgres',
        role: 'postgres' as const,
        address: redact(pgState.url),
        ok: r.ok,
        detail: r.ok ? `${r.detail} (database ${pgState.database})` : redact(r.detail),
      })),
    );
  }
  return Promise.all(checks);
}

export async function sandboxDown(dir: string, onEvent?: (e: SandboxEvent) => void): Promise<DownResult> {
  const release = acquireLock(dir);
  try {
    const state = readState(dir);
    if (!state) return { found: false, stopped: [] };
    return { found: true, ...(await stopAll(state, onEvent ?? (() => undefined))) };
  } finally {
    release();
    removeIfEmpty(dir);
  }
}

/** Stops every recorded process and drops the sandbox database, then removes the sandbox's files. */
async function stopAll(state: SandboxState, emit: (e: SandboxEvent) => void): Promise<Omit<DownResult, 'found'>> {
  emit({ type: 'step', message: `stopping ${state.processes.length} processes` });
  const stopped = await Promise.all(state.processes.map(async (p) => ({ name: p.name, pid: p.pid, outcome: await stopProcess(p) })));
  let database: DownResult['database'];
  if (state.postgres?.kind === 'external' && state.postgres.adminUrl) {
    const { adminUrl, database: name } = state.postgres;
    emit({ type: 'step', message: `dropping database ${name}` });
    try {
      database = { name, outcome: await dropExternalDatabase(adminUrl, name) };
    } catch (error) {
      database = { name, outcome: 'unreachable', detail: redact(error instanceof Error ? error.message : String(error)) };
    }
  }
  removeFiles(state);
  return { stopped, database };
}

/** Only what the sandbox wrote: a --dir pointing at a folder with other files keeps them. */
function removeFiles(state: SandboxState): void {
  for (const p of state.processes) rmSync(join(state.dir, p.name), { recursive: true, force: true });
  for (const name of ['cluster-1', 'cluster-2', 'cluster-3', ...RING_NAMES, 'twemproxy', 'postgres']) {
    // A name whose process never got recorded (start failed early) may still have a folder.
    if (!state.processes.some((p) => p.name === name)) rmSync(join(state.dir, name), { recursive: true, force: true });
  }
  for (const file of ['twemproxy.yml', 'sandbox.env']) rmSync(join(state.dir, file), { force: true });
  rmSync(stateFile(state.dir), { force: true });
}

function removeIfEmpty(dir: string): void {
  try {
    if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
  } catch {
    // another process wrote into it meanwhile: leave it
  }
}
