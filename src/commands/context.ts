import type { IO } from '../io.js';
import type { ExitCodeValue } from '../errors.js';

/** What every command gets: the injectable IO and a slot for its exit code. */
export interface CommandContext {
  io: IO;
  exitCode: ExitCodeValue | number;
  verbose: boolean;
  color?: boolean;
}
