/**
 * The sandbox's embedded PostgreSQL: PGlite (Postgres compiled to WebAssembly) served over the
 * wire protocol, so a newcomer needs no PostgreSQL installed. Run as its own detached process
 * by `cachectl sandbox up`:  node pglite-server.js <port> <products> <usersPerTenant>
 * In memory: the data lives as long as the sandbox does. The catalogue is seeded here, in
 * process and before the port opens (the same seedCatalogue the tests use), so anyone who can
 * connect sees it complete.
 *
 * PGlite is one session multiplexed over many connections: a server-side cursor (warm declares one) only
 * survives concurrent queries on other connections inside a transaction (BEGIN ... COMMIT).
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { seedCatalogue } from '../postgres/catalogue.js';
import { ExitCode } from '../../errors.js';

const [port, products, usersPerTenant] = process.argv.slice(2, 5).map(Number);
if (!Number.isInteger(port) || !Number.isInteger(products) || !Number.isInteger(usersPerTenant)) {
  process.stderr.write('usage: pglite-server <port> <products> <usersPerTenant>\n');
  process.exit(ExitCode.usage);
}

const db = await PGlite.create();
await seedCatalogue({ query: (text, values) => (values ? db.query(text, values) : db.exec(text)) }, { products, usersPerTenant });
await db.exec('ANALYZE');
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 32 });
server.addEventListener('error', (event) => process.stderr.write(`pglite-server: ${String((event as CustomEvent).detail)}\n`));
await server.start();
process.stdout.write(`pglite-server listening on 127.0.0.1:${port}\n`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.stop().catch(() => undefined);
  await db.close().catch(() => undefined);
  process.exit(ExitCode.ok);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
