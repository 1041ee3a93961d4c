/**
 * Entry point of a forked drill worker (--processes > 1): one application instance, driven by
 * the coordinator over IPC. Never writes to the terminal; errors go back as messages.
 */
import { CachectlError, ExitCode } from '../../errors.js';
import { DrillWorker, type ArmRequest, type WorkerConfig } from './worker.js';

export type ToWorker =
  | { type: 'init'; config: WorkerConfig }
  | { type: 'arm'; request: ArmRequest }
  | { type: 'release' }
  | { type: 'stop' }
  | { type: 'abandon' }
  | { type: 'collect' }
  | { type: 'close' };

export type FromWorker = { type: 'ok'; of: ToWorker['type']; value?: unknown } | { type: 'error'; of: ToWorker['type']; message: string; code?: string };

let worker: DrillWorker | undefined;

function send(message: FromWorker): void {
  process.send?.(message);
}

async function handle(message: ToWorker): Promise<unknown> {
  switch (message.type) {
    case 'init':
      worker = new DrillWorker(message.config);
      await worker.connect();
      return undefined;
    case 'arm':
      await worker?.arm(message.request);
      return undefined;
    case 'release':
      worker?.release();
      return undefined;
    case 'stop':
      worker?.stop();
      return undefined;
    case 'abandon':
      worker?.abandon();
      return undefined;
    case 'collect':
      return worker?.collect();
    case 'close':
      await worker?.close();
      return undefined;
  }
}

process.on('message', (message: ToWorker) => {
  // Release is fire-and-forget so every worker's clients start as close together as possible.
  handle(message).then(
    (value) => {
      if (message.type !== 'release' && message.type !== 'stop' && message.type !== 'abandon') send({ type: 'ok', of: message.type, value });
      if (message.type === 'close') process.disconnect?.();
    },
    (error: unknown) =>
      send({
        type: 'error',
        of: message.type,
        message: error instanceof Error ? error.message : String(error),
        ...(error instanceof CachectlError ? { code: error.code } : {}),
      }),
  );
});
// The coordinator owns Ctrl-C: a worker ignores SIGINT and stops when told (or when its parent goes).
process.on('SIGINT', () => undefined);
process.on('disconnect', () => {
  void worker?.close().finally(() => process.exit(ExitCode.ok));
});
