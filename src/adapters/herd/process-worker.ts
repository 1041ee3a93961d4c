/**
 * A drill worker in its own process (--processes > 1), so coalescing really is per process and
 * the lock really is across processes. Speaks request/reply over IPC, one request at a time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { packageScript } from '../files/package-files.js';
import { ConnectionError } from '../../errors.js';
import type { ArmRequest, WorkerConfig, WorkerRoundResult } from './worker.js';
import type { FromWorker, ToWorker } from './worker-main.js';
import type { WorkerHandle } from './drill.js';

export async function startProcessWorker(config: WorkerConfig): Promise<WorkerHandle> {
  const { script, nodeArgs } = packageScript('adapters/herd/worker-main');
  const child: ChildProcess = fork(script, [], { execArgv: nodeArgs, serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let exited: string | undefined;
  const waiting: { of: ToWorker['type']; resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  child.on('message', (message: FromWorker) => {
    const i = waiting.findIndex((w) => w.of === message.of);
    if (i < 0) return;
    const [w] = waiting.splice(i, 1);
    if (message.type === 'ok') w?.resolve(message.value);
    else w?.reject(message.code === 'E_CONNECT' ? new ConnectionError(message.message) : new Error(`drill worker ${config.index}: ${message.message}`));
  });
  child.on('exit', (code, signal) => {
    exited = `drill worker ${config.index} exited (${signal ?? code})`;
    for (const w of waiting.splice(0)) w.reject(new Error(exited));
  });
  child.on('error', () => undefined);

  const request = (message: ToWorker): Promise<unknown> => {
    if (exited) return Promise.reject(new Error(exited));
    return new Promise((resolve, reject) => {
      waiting.push({ of: message.type, resolve, reject });
      child.send(message);
    });
  };
  const tell = (message: ToWorker) => {
    if (!exited && child.connected) child.send(message);
  };

  try {
    await request({ type: 'init', config });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    connect: async () => undefined,
    arm: async (req: ArmRequest) => {
      await request({ type: 'arm', request: req });
    },
    release: () => tell({ type: 'release' }),
    stop: () => tell({ type: 'stop' }),
    abandon: () => tell({ type: 'abandon' }),
    kill: () => {
      if (!exited) child.kill('SIGKILL');
    },
    collect: async () => (await request({ type: 'collect' })) as WorkerRoundResult,
    close: async () => {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        await request({ type: 'close' });
      } catch {
        // already going
      }
      child.disconnect?.();
      await Promise.race([gone, new Promise<void>((resolve) => setTimeout(resolve, 5_000).unref())]);
      if (!exited) child.kill('SIGKILL');
    },
  };
}
