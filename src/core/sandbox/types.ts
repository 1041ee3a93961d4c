/**
 * What the sandbox started and found, as data: the state file's shape, the events of `up`, the
 * results of `up`, `status` and `down`. Types only, so reporters render them without depending on
 * the adapters that start and stop the processes.
 */

export interface ProcessIdentity {
  pid: number;
  /** The program name as the kernel reports it (e.g. redis-server, nutcracker, node). */
  command: string;
  /** Opaque start time (clock ticks since boot on Linux, ps lstart elsewhere). */
  startTime: string;
}

export type StopOutcome = 'stopped' | 'killed' | 'already-gone' | 'not-ours';

export type SandboxRole = 'cluster' | 'ring' | 'twemproxy' | 'postgres';

export interface SandboxProcess extends ProcessIdentity {
  /** e.g. cluster-1, ring-a, twemproxy, postgres */
  name: string;
  role: SandboxRole;
  port: number;
  logFile: string;
}

export interface SandboxPostgres {
  /** external: a database created on the server from DATABASE_URL / --pg; embedded: PGlite. */
  kind: 'external' | 'embedded';
  /** The URL commands use (no password: external URLs keep the user's own, redacted when shown). */
  url: string;
  database: string;
  /** external only: where the database was created, to drop it on `down`. */
  adminUrl?: string;
  products: number;
}

export interface SandboxState {
  version: 1;
  dir: string;
  startedAt: string;
  /** False while `up` is still running or when it failed half-way. */
  complete: boolean;
  processes: SandboxProcess[];
  cluster: string[];
  ring: { address: string; name: string }[];
  /** The twemproxy YAML (also the --ring-config file). */
  ringConfigFile?: string;
  twemproxy?: { address: string };
  postgres?: SandboxPostgres;
  envFile?: string;
}

export type SandboxEvent = { type: 'step'; message: string } | { type: 'note'; message: string };

export interface UpResult {
  state: SandboxState;
  alreadyUp: boolean;
  notes: string[];
}

export interface ComponentHealth {
  name: string;
  role: SandboxProcess['role'];
  address: string;
  pid?: number;
  /** The recorded pid is still that process. Undefined for a database on an external server. */
  running?: boolean;
  ok: boolean;
  detail: string;
}

export interface DownResult {
  found: boolean;
  stopped: { name: string; pid: number; outcome: StopOutcome }[];
  database?: { name: string; outcome: 'dropped' | 'absent' | 'not-ours' | 'unreachable'; detail?: string };
}
