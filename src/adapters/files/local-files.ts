/**
 * The small file-system questions commands ask before anything connects (is the key list
 * readable, is the sandbox folder a folder, the ring configuration's text), so that commands
 * touch no file themselves.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';

/** Why `path` cannot be read ('no such file', or the error code); undefined when it can. */
export function unreadableReason(path: string): string | undefined {
  try {
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file' : (code ?? 'error');
  }
}

/** True when something other than a folder is at `path`. */
export function isNonFolder(path: string): boolean {
  return existsSync(path) && !statSync(path).isDirectory();
}

/** A small text file's content (a ring configuration), or the error code when it cannot be read. */
export function readSmallText(path: string): { text: string } | { errorCode: string } {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (error) {
    return { errorCode: (error as NodeJS.ErrnoException).code ?? 'error' };
  }
}
