/**
 * What `cachectl sandbox` prints. `up` and `env` write shell to stdout (comments and export
 * lines), so `eval "$(cachectl sandbox up)"` works; progress and notes go to stderr.
 */
import { redact } from '../errors.js';
import type { IO } from '../io.js';
import type { ComponentHealth, DownResult, SandboxEvent, UpResult } from '../adapters/sandbox/sandbox.js';
import { envLines } from '../adapters/sandbox/sandbox.js';
import type { SandboxState } from '../adapters/sandbox/state.js';
import { formatTable, styleFor, writeJson } from './style.js';

export function sandboxProgress(io: IO, json: boolean): (event: SandboxEvent) => void {
  return (event) => {
    if (json && event.type === 'step') return;
    io.stderr.write(`${event.type === 'note' ? 'note' : 'sandbox'}: ${event.message}\n`);
  };
}

/** Hides a password in a URL, also in the export lines (the 0600 env file keeps the real one). */
function shown(state: SandboxState): string[] {
  return envLines(state).map((l) => redact(l));
}

export function reportUp(io: IO, result: UpResult, json: boolean, color?: boolean): void {
  const { state } = result;
  if (json) {
    writeJson(io.stdout, { alreadyUp: result.alreadyUp, ...publicState(state), notes: result.notes });
    return;
  }
  for (const note of result.notes) io.stderr.write(`note: ${note}\n`);
  const c = styleFor(io.stdout, color);
  const pg = state.postgres;
  const lines = [
    c.bold(`# cachectl sandbox is ${result.alreadyUp ? 'already up' : 'up'} (state: ${state.dir})`),
    `#   Redis Cluster  ${state.cluster.join(',')}`,
    `#   ring nodes     ${state.ring.map((r) => `${r.address} ${r.name}`).join(', ')}`,
    state.twemproxy ? `#   twemproxy      ${state.twemproxy.address}  (the proxy applications read through: redis-cli -p ${state.twemproxy.address.split(':')[1]})` : '#   twemproxy      not running (nutcracker is not installed)',
    pg ? `#   PostgreSQL     ${redact(pg.url)}  (${pg.kind === 'embedded' ? 'embedded PGlite' : `database ${pg.database}`}, ${pg.products.toLocaleString('en-US')} products)` : '',
    '#',
    '# Any command: add --sandbox (the cluster and the database above), e.g.',
    '#   cachectl warm warmlists/catalog.yml --sandbox',
    '# or name a topology yourself:',
    `#   --cluster ${state.cluster.join(',')}`,
    state.ringConfigFile ? `#   --ring-config ${state.ringConfigFile}` : '',
    `#   --ring '${state.ring.map((r) => `${r.address}:1 ${r.name}`).join(',')}'`,
    `# Environment (also in ${state.envFile ?? 'sandbox.env'}): eval "$(cachectl sandbox env)"`,
    ...shown(state),
    '# Stop everything: cachectl sandbox down',
  ].filter((l) => l !== '');
  io.stdout.write(lines.join('\n') + '\n');
}

export function reportEnv(io: IO, state: SandboxState): void {
  io.stdout.write(shown(state).join('\n') + '\n');
}

export function reportStatus(io: IO, state: SandboxState | undefined, health: ComponentHealth[], json: boolean, color?: boolean): void {
  if (json) {
    writeJson(io.stdout, state ? { up: health.every((h) => h.ok), ...publicState(state), components: health } : { up: false });
    return;
  }
  if (!state) {
    io.stdout.write('no sandbox is up here (run: cachectl sandbox up)\n');
    return;
  }
  const c = styleFor(io.stdout, color);
  const rows = health.map((h) => [h.name, h.address, h.pid !== undefined ? String(h.pid) : '-', h.running === undefined ? 'external' : h.running ? 'running' : 'gone', h.ok ? c.green('yes') : c.red('no'), h.detail]);
  io.stdout.write(formatTable(['component', 'address', 'pid', 'process', 'answers', 'detail'], rows) + '\n');
  const bad = health.filter((h) => !h.ok).length;
  const summary = !state.complete ? 'sandbox up did not finish: run cachectl sandbox down, then up' : bad === 0 ? 'all components answer' : `${bad} component(s) do not answer: run cachectl sandbox up to restart the sandbox`;
  io.stdout.write(`${summary}\n`);
}

export function reportDown(io: IO, dir: string, result: DownResult, json: boolean): void {
  if (json) {
    writeJson(io.stdout, { dir, ...result });
    return;
  }
  if (!result.found) {
    io.stdout.write(`no sandbox in ${dir}: nothing to stop\n`);
    return;
  }
  const describe: Record<string, string> = { stopped: 'stopped', killed: 'killed (did not stop on SIGTERM)', 'already-gone': 'was not running', 'not-ours': 'left alone: its pid now belongs to another process' };
  for (const s of result.stopped) io.stdout.write(`${s.name.padEnd(10)} pid ${String(s.pid).padEnd(8)} ${describe[s.outcome] ?? s.outcome}\n`);
  if (result.database) {
    const d = result.database;
    const text = { dropped: 'dropped', absent: 'was already gone', 'not-ours': 'left alone: it is not the sandbox\'s', unreachable: `could not be dropped: ${d.detail ?? ''}` }[d.outcome];
    io.stdout.write(`database ${d.name} ${text}\n`);
  }
  io.stdout.write('sandbox is down\n');
}

/** The state without the admin URL (a password may be in it). */
function publicState(state: SandboxState): Record<string, unknown> {
  return {
    dir: state.dir,
    startedAt: state.startedAt,
    complete: state.complete,
    cluster: state.cluster,
    ring: state.ring,
    ringConfigFile: state.ringConfigFile,
    twemproxy: state.twemproxy,
    postgres: state.postgres ? { kind: state.postgres.kind, url: redact(state.postgres.url), database: state.postgres.database, products: state.postgres.products } : undefined,
    processes: state.processes.map((p) => ({ name: p.name, role: p.role, pid: p.pid, port: p.port, logFile: p.logFile })),
    envFile: state.envFile,
  };
}
