/**
 * Typed errors. Every failure that reaches the top of `run()` is one of these, printed once
 * as a single line; the exit code is part of the error so commands never call process.exit.
 */

/** Documented exit codes (README, "Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** Finished, but some keys failed or are missing, or a --fail-on / --assert condition holds. */
  incomplete: 1,
  /** Bad usage: flags, warmlist, pattern, query shape. Nothing was written. */
  usage: 2,
  /** Cannot connect: unreachable host, bad password, wrong topology, unreadable ring config. */
  connection: 3,
  /** Another run holds the run lock (EX_TEMPFAIL). */
  locked: 75,
  /** Interrupted by SIGINT. */
  interrupted: 130,
  /** Terminated by SIGTERM. */
  terminated: 143,
  /** A bug or an unexpected failure. */
  internal: 70,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The two signals that stop a run gracefully; processIO() aborts io.signal with the signal's name. */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The signal behind an aborted io.signal: SIGTERM when it says so, else SIGINT (the interactive stop). */
export function stopSignalOf(abort: AbortSignal): StopSignal {
  return abort.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
}

/** 130 / 143: 128 + the signal's number, as a shell reports a process the signal ended. */
export function signalExitCode(signal: StopSignal | AbortSignal): ExitCodeValue {
  const name = typeof signal === 'string' ? signal : stopSignalOf(signal);
  return name === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
}

/** What stopped a run, as messages name it: the abort's reason (`SIGTERM`, or whatever a caller aborted with). */
export function stopCause(abort: AbortSignal | undefined): string {
  return String(abort?.reason ?? 'a signal');
}

export class CachectlError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly exitCode: ExitCodeValue,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flags or arguments: exit 2. */
export class UsageError extends CachectlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_USAGE', ExitCode.usage, options);
  }
}

/** Bad input file (warmlist, key list, ring config): exit 2, names file, line and field. */
export class InputError extends CachectlError {
  constructor(
    message: string,
    readonly location?: { file?: string; line?: number; field?: string },
    options?: { cause?: unknown },
  ) {
    super(formatLocation(location) + message, 'E_INPUT', ExitCode.usage, options);
  }
}

/** Cannot reach or authenticate to Redis or Postgres, or the topology is not what was asked: exit 3. */
export class ConnectionError extends CachectlError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_CONNECT', ExitCode.connection, options);
  }
}

/**
 * A ring configuration file (--ring-config) that cannot be read or does not parse: exit 3 like the
 * other "cannot connect" input (the ring is part of the connection), naming file, line and what to change.
 */
export class RingConfigError extends CachectlError {
  constructor(
    message: string,
    readonly location?: { file?: string; line?: number; field?: string },
    options?: { cause?: unknown },
  ) {
    super(formatLocation(location) + message, 'E_RING_CONFIG', ExitCode.connection, options);
  }
}

/** Another run holds the run lock: exit 75. */
export class LockedError extends CachectlError {
  constructor(message: string) {
    super(message, 'E_LOCKED', ExitCode.locked);
  }
}

/** A run finished but not everything succeeded, or a check failed: exit 1. */
export class IncompleteError extends CachectlError {
  constructor(message: string) {
    super(message, 'E_INCOMPLETE', ExitCode.incomplete);
  }
}

export class InterruptedError extends CachectlError {
  constructor(signal: StopSignal) {
    super(`interrupted by ${signal}`, 'E_INTERRUPTED', signalExitCode(signal));
  }
}

function formatLocation(loc?: { file?: string; line?: number; field?: string }): string {
  if (!loc?.file) return loc?.field ? `${loc.field}: ` : '';
  const at = loc.line !== undefined ? `${loc.file}:${loc.line}` : loc.file;
  return loc.field ? `${at}: ${loc.field}: ` : `${at}: `;
}

/**
 * Passwords cachectl has been given (flags, environment, URLs, ring files): redact() masks each
 * wherever it appears, whatever shape the text around it has. Shorter ones would mask ordinary
 * words; the URL and `password=` patterns below still catch those in their usual places.
 */
const secrets = new Set<string>();
const MIN_SECRET_LENGTH = 3;

export function registerSecret(secret: string | undefined): void {
  if (secret !== undefined && secret.length >= MIN_SECRET_LENGTH) secrets.add(secret);
}

/**
 * Registers the password of every `user:pass@host` in a connection flag's value, with or without
 * a scheme (`--cluster user:pw@10.0.0.1:7000,...`), so a message that echoes the value hides it.
 */
export function registerCredentialsIn(text: string): void {
  for (const piece of text.split(/[\s,]+/)) {
    const at = piece.lastIndexOf('@');
    if (at < 0) continue;
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(piece)?.[1]?.toLowerCase();
    const userinfo = piece.slice(0, at).replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    const colon = userinfo.indexOf(':');
    // A bare userinfo is a password for Redis (redis://secret@host), a user name for anything else.
    if (colon < 0 && scheme !== undefined && scheme !== 'redis' && scheme !== 'rediss') continue;
    const password = colon >= 0 ? userinfo.slice(colon + 1) : userinfo;
    registerSecret(password);
    try {
      registerSecret(decodeURIComponent(password));
    } catch {
      // not percent-encoded
    }
  }
}

/**
 * Error lines quote what the user gave; a hostile value can be megabytes (a pasted file, a
 * runaway script). Any run of more than 100 characters without a space is shown by its start
 * and its length, so the line stays one readable line.
 */
export function shorten(text: string): string {
  return text.replace(/\S{101,}/g, (run) => `${run.slice(0, 60)}... (${run.length} characters)`);
}

/** Removes passwords from anything that may contain a connection URL before it is shown. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('***');
  return (
    out
      // scheme://user:pass@host: the password runs to the last '@' of the address.
      .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)([^:/@\s]*):(\S*)@/gi, (_m, scheme: string, user: string) => `${scheme}${user}:***@`)
      // redis://secret@host: for Redis a bare userinfo is the password.
      .replace(/(\brediss?:\/\/)([^:/@\s*]+)@/gi, '$1***@')
      .replace(/(password[=:]\s*)([^\s&,;]+)/gi, '$1***')
  );
}
