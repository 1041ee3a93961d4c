/**
 * `herd --url ... --invalidate <key>`: drill a running application instead of simulating one.
 * Open N keep-alive connections (one warm-up request each, served before the invalidation),
 * delete the key on its owning node, release N requests at once, and report status codes and
 * latency, plus what PostgreSQL saw meanwhile when --pg is given.
 */
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import { openCache } from '../redis/cache.js';
import { createPgPool } from '../postgres/pool.js';
import type { RedisTarget } from '../../config/target.js';
import { summarizeLatency } from '../../core/herd/stats.js';
import type { HttpDrillResult } from '../../core/herd/http-result.js';
import { wallClock } from './clock.js';
import { RedisHerdCache } from './redis-cache.js';
import { DrillKeys } from './keyset.js';
import { DatabaseWatch } from './db-watch.js';

export interface HttpDrillOptions {
  url: URL;
  target: RedisTarget;
  pgUrl: string | undefined;
  /** Called right before the first connection (the command names the topology). */
  announce?: () => void;
  invalidate: string;
  clients: number;
  rounds: number;
  timeoutMs: number;
  maxTimeMs: number;
  signal: AbortSignal;
}

export type { HttpDrillResult } from '../../core/herd/http-result.js';

interface Shot {
  startedAt: number;
  latencyMs: number;
  status?: number;
  error?: string;
  timedOut?: boolean;
}

function request(agent: http.Agent, url: URL, timeoutMs: number): Promise<Shot> {
  const startedAt = wallClock.now();
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = lib.request(url, { method: 'GET', agent, headers: { 'user-agent': 'cachectl-herd' }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve({ startedAt, latencyMs: wallClock.now() - startedAt, status: res.statusCode ?? 0 }));
      res.on('error', (error) => resolve({ startedAt, latencyMs: wallClock.now() - startedAt, error: error.message }));
    });
    req.on('timeout', () => {
      req.destroy(new Error(`no answer within ${timeoutMs}ms`));
    });
    req.on('error', (error) =>
      resolve({ startedAt, latencyMs: wallClock.now() - startedAt, error: error.message, timedOut: /no answer within/.test(error.message) }),
    );
    req.end();
  });
}

export async function runHttpDrill(options: HttpDrillOptions): Promise<HttpDrillResult> {
  const runId = randomBytes(4).toString('hex');
  options.announce?.();
  const control = await openCache(options.target, { verify: 'all', connectionName: `cachectl-herd-${runId}` });
  const cache = new RedisHerdCache(control);
  const keys = new DrillKeys(cache, [options.invalidate], runId);
  const AgentClass = options.url.protocol === 'https:' ? https.Agent : http.Agent;
  const agent = new AgentClass({ keepAlive: true, maxSockets: options.clients, maxFreeSockets: options.clients });
  const pool = options.pgUrl !== undefined ? createPgPool({ url: options.pgUrl, max: 2, applicationName: `cachectl-herd-${runId}` }) : undefined;
  const watch = pool ? new DatabaseWatch(pool) : undefined;
  const shots: Shot[] = [];
  let skew = 0;
  let rounds = 0;
  let database: HttpDrillResult['database'] = null;
  const deadline = Date.now() + options.maxTimeMs;
  try {
    await keys.markRun();
    // Warm-up: one request per client opens its connection (served by the still-valid key).
    await Promise.all(Array.from({ length: options.clients }, () => request(agent, options.url, options.timeoutMs)));
    await watch?.start();
    for (let round = 0; round < options.rounds && !options.signal.aborted && Date.now() < deadline; round++) {
      await cache.nodeFor(options.invalidate).del(options.invalidate);
      const herd = await Promise.all(Array.from({ length: options.clients }, () => request(agent, options.url, options.timeoutMs)));
      const starts = herd.map((s) => s.startedAt);
      skew = Math.max(skew, Math.max(...starts) - Math.min(...starts));
      shots.push(...herd);
      rounds++;
    }
    database = watch ? await watch.stop() : null;
  } finally {
    agent.destroy();
    await watch?.stop().catch(() => undefined);
    await pool?.end();
    try {
      // The key is not restored: the application rebuilt it, which is what was drilled.
      await keys.releaseRunMarkers();
    } finally {
      await control.close();
    }
  }
  return {
    url: options.url.toString(),
    invalidated: options.invalidate,
    clients: options.clients,
    rounds,
    requests: shots.length,
    statuses: countStatuses(shots),
    latency: summarizeLatency(shots.filter((s) => s.status !== undefined).map((s) => s.latencyMs)),
    errors: shots.filter((s) => s.error !== undefined || (s.status ?? 0) >= 500).length,
    timeouts: shots.filter((s) => s.timedOut).length,
    releaseSkewMs: skew,
    database,
    errorMessages: topMessages(shots),
    interrupted: rounds < options.rounds,
  };
}

function countStatuses(shots: readonly Shot[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of shots) {
    const k = s.status !== undefined ? String(s.status) : s.timedOut ? 'timeout' : 'error';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

function topMessages(shots: readonly Shot[]): { message: string; count: number }[] {
  const m = new Map<string, number>();
  for (const s of shots) if (s.error) m.set(s.error, (m.get(s.error) ?? 0) + 1);
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([message, count]) => ({ message, count }));
}
