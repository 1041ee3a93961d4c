/**
 * The floor under a warm's own CPU per key on this machine: what the least a Node process can do
 * costs it per key, measured with its own rusage. The same `SET key value PX ttl` commands a warm
 * sends (keys `product:N`, 187-byte values), encoded before the clock starts, written to one Redis
 * node in pipelines of 1,000 with two in flight (as a warm does), replies only counted (newlines),
 * never parsed. What is left is the socket's system calls and the event loop: on loopback the
 * kernel's TCP receive path into Redis's socket runs in the sender's system call, so it is charged
 * to the client (on a real network the other host does that part).
 *
 * `node --import tsx test/bench/floor.ts [keys] [repeats]`; the best run counts.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { startRedis } from '../harness/redis.js';

const keys = Number(process.argv[2] ?? 1_000_000);
const repeats = Number(process.argv[3] ?? 3);
const PIPELINE = 1000;
const IN_FLIGHT = 2;
const value = 'x'.repeat(187);

function encodePipelines(): Buffer[] {
  const out: Buffer[] = [];
  for (let start = 0; start < keys; start += PIPELINE) {
    let text = '';
    for (let i = start; i < Math.min(keys, start + PIPELINE); i++) {
      const key = `product:${i + 1}`;
      text += `*5\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n$2\r\nPX\r\n$7\r\n3600000\r\n`;
    }
    out.push(Buffer.from(text, 'latin1'));
  }
  return out;
}

/** Sends every pipeline, at most IN_FLIGHT unanswered; resolves when every reply has come. */
function send(socket: Socket, pipelines: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    // Each reply of a SET is one line ("+OK\r\n").
    let replies = 0;
    const sendMore = () => {
      while (next < pipelines.length && next * PIPELINE - replies < IN_FLIGHT * PIPELINE) socket.write(pipelines[next++] as Buffer);
    };
    socket.on('data', (chunk: Buffer) => {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) replies++;
      if (replies >= keys) {
        socket.removeAllListeners('data');
        resolve();
      } else sendMore();
    });
    socket.once('error', reject);
    sendMore();
  });
}

const node = await startRedis();
try {
  const pipelines = encodePipelines();
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const admin = node.client();
    await admin.flushall();
    await admin.quit();
    const socket = connect(node.port, '127.0.0.1');
    socket.setNoDelay(true);
    await once(socket, 'connect');
    const before = process.cpuUsage();
    await send(socket, pipelines);
    const used = process.cpuUsage(before);
    socket.destroy();
    const us = (used.user + used.system) / keys;
    best = Math.min(best, us);
    process.stdout.write(`run ${r + 1}: ${us.toFixed(3)} us/key (user ${(used.user / keys).toFixed(3)}, system ${(used.system / keys).toFixed(3)})\n`);
  }
  process.stdout.write(`floor: ${best.toFixed(3)} us of client CPU per key for the bytes of SET key value PX ttl over loopback\n`);
} finally {
  await node.stop();
}
