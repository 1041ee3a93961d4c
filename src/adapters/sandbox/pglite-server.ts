/**
 * The sandbox's embedded PostgreSQL: PGlite (Postgres compiled to WebAssembly) served over the
 * wire protocol, so a newcomer needs no PostgreSQL installed. Run as its own detached process
 * by `cachectl sandbox up`: node pglite-server.js <port>. In memory: the data lives as long as
 * the sandbox does, and `up` seeds it.
 *
 * PGlite is one session multiplexed over many connections: a server-side cursor (pg-cursor) only
 * survives concurrent queries on other connections inside a transaction (BEGIN ... COMMIT).
 */
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: pglite-server <port>\n');
  process.exit(2);
}

const db = await PGlite.create();
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
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
