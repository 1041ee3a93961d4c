import { startCluster } from './test/harness/redis.js';
import { createTestDatabase, seedCatalogue } from './test/harness/postgres.js';
import { runCli } from './test/harness/cli.js';
const c = await startCluster(3);
const db = await createTestDatabase('cachectl_herdtry');
await seedCatalogue(db.pool, 10000);
try {
  const t0 = Date.now();
  const res = await runCli(['herd', '--cluster', c.seeds, '--pg', db.url, '--fetch', 'SELECT * FROM products WHERE id = $1', ...process.argv.slice(2)]);
  console.log(res.code, res.stdout, res.stderr, 'elapsed', Date.now() - t0);
} finally { await db.drop(); await c.stop(); }
