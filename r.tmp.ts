import { startRedis } from './test/harness/redis.js';
import { createTestDatabase, seedCatalogue } from './test/harness/postgres.js';
import { runCli } from './test/harness/cli.js';
import { writeFileSync } from 'node:fs';
const r = await startRedis();
const db = await createTestDatabase('cachectl_herdtry');
await seedCatalogue(db.pool, 100);
writeFileSync('/tmp/herd-keys.txt', Array.from({length: 50}, (_, i) => `product:${i+1}`).join('\n') + '\n');
try {
  const t0 = Date.now();
  const res = await runCli(['herd', '--redis', `redis://127.0.0.1:${r.port}`, '--pg', db.url, '--fetch', 'SELECT * FROM products WHERE id = $1', ...process.argv.slice(2)]);
  console.log(res.code, res.stdout, res.stderr, Date.now() - t0);
  console.log(await r.client().keys('*'));
} finally { await db.drop(); await r.stop(); }
