/**
 * `--checkpoint <file>`: loads a previous run's progress, saves the live one at most every
 * `intervalMs` while the run goes (atomically: a crash leaves the previous complete version),
 * and once more at the end. A run that finishes with nothing left to retry deletes the file,
 * so the next cron run starts fresh; otherwise the file stays and the next run resumes.
 * A file that is not a cachectl checkpoint (no magic field) is refused before anything is written:
 * a mistyped `--checkpoint my-catalog.yml` must never cost the user that file.
 */
import { readFile, rm } from 'node:fs/promises';
import { Checkpoint, parseCheckpoint } from '../../core/run/checkpoint.js';
import { InputError } from '../../errors.js';
import { writeFileAtomic } from './atomic-write.js';

export interface OpenedCheckpoint {
  checkpoint: Checkpoint;
  /** True when progress was loaded from the file. */
  resumed: boolean;
  /** Why an existing file was not used (printed as a warning), if it was not. */
  discarded?: string;
}

export class CheckpointFile {
  private timer: ReturnType<typeof setInterval> | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** The file is (or was) there: loaded, replaced, or saved by this run. */
  private onDisk = false;

  private constructor(
    readonly path: string,
    readonly checkpoint: Checkpoint,
    private readonly now: () => Date,
  ) {}

  /**
   * Opens `path` for a run with this fingerprint. A missing (or empty) file starts fresh; a cachectl
   * checkpoint of another run definition is discarded with a reason (never misapplied); any other
   * file is refused (InputError, exit 2) and left as it is.
   */
  static async open(path: string, fingerprint: string, now: () => Date = () => new Date()): Promise<{ file: CheckpointFile } & OpenedCheckpoint> {
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new InputError(`cannot read the checkpoint (${code ?? 'error'}); check the path and permissions`, { file: path });
    }
    let discarded: string | undefined;
    let checkpoint: Checkpoint | undefined;
    if (text !== undefined && text.length > 0) {
      const parsed = parseCheckpoint(text);
      if ('problem' in parsed && !parsed.ours) {
        throw new InputError(
          `--checkpoint: this file is not a checkpoint cachectl wrote (${parsed.problem}); it is left as it is: give a path of its own, e.g. ${path}.ckpt`,
          { file: path },
        );
      }
      if ('problem' in parsed) discarded = `checkpoint ${path} ignored: ${parsed.problem}; starting from the beginning`;
      else if (parsed.data.fingerprint !== fingerprint) {
        discarded = `checkpoint ${path} ignored: it was written for a different run (warmlist, key file, flags or shard changed); starting from the beginning`;
      } else checkpoint = new Checkpoint(fingerprint, parsed.data.createdAt, parsed.data);
    }
    const resumed = checkpoint !== undefined;
    checkpoint ??= new Checkpoint(fingerprint, now().toISOString());
    const file = new CheckpointFile(path, checkpoint, now);
    file.onDisk = text !== undefined;
    return { file, checkpoint, resumed, discarded };
  }

  /** Saves every `intervalMs` while something changed. */
  startAutosave(intervalMs: number, onError: (error: Error) => void): void {
    this.timer = setInterval(() => {
      this.save().catch((e: Error) => onError(e));
    }, intervalMs);
    this.timer.unref?.();
  }

  /** Writes the file if anything changed since the last save. Saves never overlap. */
  save(force = false): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (!this.checkpoint.takeChanges() && !force) return;
      await writeFileAtomic(this.path, JSON.stringify(this.checkpoint.toData(this.now().toISOString())) + '\n', 0o600);
      this.onDisk = true;
    });
    return this.writing;
  }

  /**
   * Ends the run's use of the file: deletes it when the run left nothing to resume, else saves
   * the final state. Call it on every path out of the run, including signals.
   */
  async close(nothingLeft: boolean): Promise<'deleted' | 'saved' | 'untouched'> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.writing.catch(() => undefined);
    // A run that recorded nothing (refused before its first batch) leaves no file behind.
    if (!this.onDisk && !this.checkpoint.dirty) return 'untouched';
    if (nothingLeft) {
      await rm(this.path, { force: true });
      return 'deleted';
    }
    await this.save(true);
    return 'saved';
  }
}
