import { runCli } from './test/harness/cli.js';
const r = await runCli(process.argv.slice(2), { env: { ...process.env } });
console.log(r.code); console.log(r.stdout); console.log(r.stderr);
