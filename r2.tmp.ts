import { startRedis } from './test/harness/redis.js';
import { createTestDatabase, seedCatalogue } from './test/harness/postgres.js';
import { spawnSync } from 'node:child_process';
const r = await startRedis();
const db = await createTestDatabase('cachectl_herdtry');
await seedCatalogue(db.pool, 100);
try {
  const res = spawnSync('node', ['bin/cachectl', 'herd', '--redis', `redis://127.0.0.1:${r.port}`, '--pg', db.url, '--key', 'product:42', '--fetch', 'SELECT * FROM products WHERE id = $1', ...process.argv.slice(2)], { encoding: 'utf8' });
  console.log(res.status, res.stdout, res.stderr);
} finally { await db.drop(); await r.stop(); }
