/**
 * What `cachectl sandbox` prints. `up` and `env` write shell to stdout (comments and export
 * lines), so `eval "$(cachectl sandbox up)"` works; progress and notes go to stderr.
 */
import { redact } from '../errors.js';
import type { ChalkInstance } from 'chalk';
import type { ComponentHealth, DownResult, SandboxEvent, SandboxState, UpResult } from '../core/sandbox/types.js';
import { envLines } from '../core/sandbox/env.js';
import type { Output } from './output.js';
import { formatTable } from './style.js';

/** Steps and notes on stderr as they happen (with --json, only the notes). */
export function sandboxProgress(out: Output): (event: SandboxEvent) => void {
  return (event) => {
    if (out.json && event.type === 'step') return;
    out.diagnostic(`${event.type === 'note' ? 'note' : 'sandbox'}: ${event.message}\n`);
  };
}

/** Hides a password in a URL, also in the export lines (the 0600 env file keeps the real one). */
function shown(state: SandboxState): string[] {
  return envLines(state).map((l) => redact(l));
}

export function upJson(result: UpResult): Record<string, unknown> {
  return { alreadyUp: result.alreadyUp, ...publicState(result.state), notes: result.notes };
}

/** The notes of `up`, for stderr (before the text on stdout). */
export function renderUpNotes(result: UpResult): string {
  return result.notes.map((note) => `note: ${note}\n`).join('');
}

export function renderUp(result: UpResult, c: ChalkInstance): string {
  const { state } = result;
  const pg = state.postgres;
  const lines = [
    c.bold(`# cachectl sandbox is ${result.alreadyUp ? 'already up' : 'up'} (state: ${state.dir})`),
    `#   Redis Cluster  ${state.cluster.join(',')}`,
    `#   ring nodes     ${state.ring.map((r) => `${r.address} ${r.name}`).join(', ')}`,
    state.twemproxy
      ? `#   twemproxy      ${state.twemproxy.address}  (the proxy applications read through: redis-cli -p ${state.twemproxy.address.split(':')[1]})`
      : '#   twemproxy      not running (nutcracker is not installed)',
    pg
      ? `#   PostgreSQL     ${redact(pg.url)}  (${pg.kind === 'embedded' ? 'embedded PGlite' : `database ${pg.database}`}, ${pg.products.toLocaleString('en-US')} products)`
      : '',
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
  return lines.join('\n') + '\n';
}

export function renderEnv(state: SandboxState): string {
  return shown(state).join('\n') + '\n';
}

export function statusJson(state: SandboxState | undefined, health: ComponentHealth[]): Record<string, unknown> {
  return state ? { up: health.every((h) => h.ok), ...publicState(state), components: health } : { up: false };
}

export function renderStatus(state: SandboxState | undefined, health: ComponentHealth[], c: ChalkInstance, width?: number): string {
  if (!state) return 'no sandbox is up here (run: cachectl sandbox up)\n';
  const rows = health.map((h) => [
    h.name,
    h.address,
    h.pid !== undefined ? String(h.pid) : '-',
    h.running === undefined ? 'external' : h.running ? 'running' : 'gone',
    h.ok ? c.green('yes') : c.red('no'),
    h.detail,
  ]);
  const table = formatTable(['component', 'address', 'pid', 'process', 'answers', 'detail'], rows, width) + '\n';
  const bad = health.filter((h) => !h.ok).length;
  const summary = !state.complete
    ? 'sandbox up did not finish: run cachectl sandbox down, then up'
    : bad === 0
      ? 'all components answer'
      : `${bad} component(s) do not answer: run cachectl sandbox up to restart the sandbox`;
  return `${table}${summary}\n`;
}

export function renderDown(dir: string, result: DownResult): string {
  if (!result.found) return `no sandbox in ${dir}: nothing to stop\n`;
  const out: string[] = [];
  const describe: Record<string, string> = {
    stopped: 'stopped',
    killed: 'killed (did not stop on SIGTERM)',
    'already-gone': 'was not running',
    'not-ours': 'left alone: its pid now belongs to another process',
  };
  for (const s of result.stopped) out.push(`${s.name.padEnd(10)} pid ${String(s.pid).padEnd(8)} ${describe[s.outcome] ?? s.outcome}`);
  if (result.database) {
    const d = result.database;
    const text = {
      dropped: 'dropped',
      absent: 'was already gone',
      'not-ours': "left alone: it is not the sandbox's",
      unreachable: `could not be dropped: ${d.detail ?? ''}`,
    }[d.outcome];
    out.push(`database ${d.name} ${text}`);
  }
  out.push('sandbox is down');
  return out.join('\n') + '\n';
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
    postgres: state.postgres
      ? { kind: state.postgres.kind, url: redact(state.postgres.url), database: state.postgres.database, products: state.postgres.products }
      : undefined,
    processes: state.processes.map((p) => ({ name: p.name, role: p.role, pid: p.pid, port: p.port, logFile: p.logFile })),
    envFile: state.envFile,
  };
}
