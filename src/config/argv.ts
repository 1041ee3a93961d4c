/**
 * The command an argv names, read before commander parses it: by the CLI (to build only that
 * command), by the redis-cli habit translation, and by the loader in src/boot.ts (each command
 * has a code cache of its own). Free of imports, since the loader runs before the bundle.
 */
export function commandWord(argv: readonly string[]): string | undefined {
  // Its first word that is not a flag: the program's own flags take no values.
  return argv.slice(2).find((a) => !a.startsWith('-'));
}
