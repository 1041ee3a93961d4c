/**
 * The sandbox's environment as shell: the 0600 env file the sandbox writes and `sandbox env`
 * prints are the same lines, so both come from here (pure: state in, lines out).
 */

/** What of a sandbox's state its environment names (the adapters' SandboxState has it all). */
export interface SandboxEnvState {
  dir: string;
  postgres?: { url: string; kind: string; adminUrl?: string };
  cluster: readonly string[];
  ringConfigFile?: string;
  twemproxy?: { address: string };
}

/** Shell lines for the environment file and `sandbox env`. */
export function envLines(state: SandboxEnvState): string[] {
  const q = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  const lines = [`export CACHECTL_SANDBOX_DIR=${q(state.dir)}`];
  if (state.postgres) {
    lines.push(`export DATABASE_URL=${q(state.postgres.url)}`);
    // Marks DATABASE_URL as the sandbox's own, so a later `sandbox up` in this shell (after a
    // `down`) knows not to take it for the server to create its database on.
    lines.push(`export CACHECTL_SANDBOX_DATABASE_URL=${q(state.postgres.url)}`);
    if (state.postgres.kind === 'external' && state.postgres.adminUrl)
      lines.push(`export CACHECTL_SANDBOX_ADMIN_DB=${q(decodeURIComponent(new URL(state.postgres.adminUrl).pathname.slice(1)) || 'postgres')}`);
  }
  if (state.cluster.length > 0) lines.push(`export CACHECTL_CLUSTER=${q(state.cluster.join(','))}`);
  if (state.ringConfigFile) lines.push(`export CACHECTL_RING_CONFIG=${q(state.ringConfigFile)}`);
  if (state.twemproxy) lines.push(`export CACHECTL_TWEMPROXY=${q(state.twemproxy.address)}`);
  return lines;
}
