/**
 * node-postgres, loaded without node's fetch. On Node 20 (no global `navigator`) pg's check for a
 * Cloudflare Worker constructs a fetch `Response`, which loads undici, node's whole fetch
 * implementation, for nothing: about 15 ms of every run's CPU. A `navigator` like the one Node 21+
 * has is present only while pg's modules evaluate, so nothing else sees it.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';

function load(): typeof pg {
  const require = createRequire(import.meta.url);
  if ('navigator' in globalThis) return require('pg') as typeof pg;
  Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.versions.node}` }, configurable: true });
  try {
    return require('pg') as typeof pg;
  } finally {
    Reflect.deleteProperty(globalThis, 'navigator');
  }
}

export const pgDriver = load();
