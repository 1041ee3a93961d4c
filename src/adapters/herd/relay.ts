/**
 * A TCP relay in front of one cache node, on this machine, for `--outage-mode refuse`: the
 * drill's clients connect here instead of to the node. down() closes every relayed connection
 * and stops listening, so reconnects are refused (ECONNREFUSED) as when a node dies; up() listens
 * again on the same port. Only the drill's own connections see the outage; the node never does.
 */
import net from 'node:net';

export class NodeRelay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly host = '127.0.0.1',
  ) {}

  async up(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => this.relay(client));
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port: this.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  /** Refuse from now on: drop every relayed connection and stop listening. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async close(): Promise<void> {
    await this.down();
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect({ host: this.target.host, port: this.target.port });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
