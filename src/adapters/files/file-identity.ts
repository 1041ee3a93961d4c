/** A key file's size and modification time, so a checkpoint is not applied to an edited list. */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

export function fileIdentity(path: string, cwd: string): { path: string; size?: number; mtimeMs?: number } {
  if (path === '-') return { path };
  try {
    const st = statSync(resolve(cwd, path));
    return { path: resolve(cwd, path), size: st.size, mtimeMs: Math.round(st.mtimeMs) };
  } catch {
    return { path: resolve(cwd, path) };
  }
}
