// bin/cachectl, but on the sources: what spawnCli runs in a child process.
import { run } from '../../src/cli.js';

process.exitCode = await run(process.argv);
