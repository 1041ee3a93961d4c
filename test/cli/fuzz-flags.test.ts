// Every flag that takes a value, and every warmlist field, given hostile values: never exit 70,
// never a stack trace without --verbose, never a hang past a bound, and a short line naming what is wrong.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { buildProgram } from '../../src/cli.js';
import { StringSink } from '../../src/io.js';
import { runCli, type CliResult } from '../harness/cli.js';
import { tempDir } from '../harness/warm-helpers.js';

const NO_REDIS = 'redis://127.0.0.1:1';
const NO_PG = 'postgres://postgres@127.0.0.1:1/x';
const HOSTILE = [
  '',
  ' ',
  '-1',
  '0',
  'NaN',
  '1e309',
  '99999999999999999999',
  '99999999999999999999d',
  '25d',
  '%',
  '\u0000',
  'x'.repeat(100_000),
  "'; DROP TABLE products; --",
];
/** Bound on one run: parse errors are immediate; what parses fails to connect to port 1 at once. */
const BOUND_MS = 15_000;

/** A command line that is valid without the fuzzed flag and connects to nothing that exists. */
const BASE: Record<string, string[]> = {
  warm: ['--query', 'SELECT 1 AS key, 1 AS value', '--ttl', '1h', '--redis', NO_REDIS, '--pg', NO_PG],
  'inspect ttl': ['--redis', NO_REDIS],
  'inspect stampede': ['--redis', NO_REDIS],
  'inspect locks': ['--redis', NO_REDIS],
  'inspect stale': ['--redis', NO_REDIS],
  'inspect nodes': ['--redis', NO_REDIS],
  'inspect overview': ['--redis', NO_REDIS],
  'inspect hotkeys': ['--redis', NO_REDIS],
  'inspect drift': ['drift.yml', '--redis', NO_REDIS, '--pg', NO_PG],
  herd: ['--key', 'product:1', '--fetch', 'SELECT 1 WHERE $1::text IS NOT NULL', '--redis', NO_REDIS, '--pg', NO_PG],
  'herd simulate': ['--strategy', 'none', '--clients', '5'],
  'ring locate': ['k:1', '--ring', '127.0.0.1:7100,127.0.0.1:7101'],
  'ring stats': ['--ring', '127.0.0.1:7100,127.0.0.1:7101'],
  'ring diff': ['--ring', '127.0.0.1:7100,127.0.0.1:7101', '--add', '127.0.0.1:7102'],
  // The sandbox's state lands in the temp folder the runs use as their cwd; `up` fails at its
  // first redis-server (SANDBOX_ENV), so a value that is accepted starts nothing.
  'sandbox up': [],
  'sandbox status': [],
  'sandbox down': [],
  'sandbox env': [],
};
/** No redis-server to start: `sandbox up` stops at its first process, before PostgreSQL or twemproxy. */
const SANDBOX_ENV = { REDIS_SERVER_BIN: '/nonexistent/cachectl-fuzz/redis-server' };
/** Flags whose value is free text by design (names, SQL, prefixes): hostile text is a valid value there. */
const TOPOLOGY = new Set(['--redis', '--cluster', '--ring', '--ring-config', '--sandbox', '--pg']);

function valueFlags(): { path: string; option: Option }[] {
  const program = buildProgram({
    io: { stdout: new StringSink(), stderr: new StringSink(), stdin: process.stdin, env: {}, cwd: process.cwd(), signal: new AbortController().signal },
    exitCode: 0,
    verbose: false,
  });
  const out: { path: string; option: Option }[] = [];
  const walk = (cmd: Command, prefix: string) => {
    for (const sub of cmd.commands) {
      const path = `${prefix}${sub.name()}`;
      for (const option of sub.options) if ((option.required || option.optional) && BASE[path]) out.push({ path, option });
      walk(sub, `${path} `);
    }
  };
  walk(program, '');
  return out;
}

function withFlag(path: string, flag: string, value: string): string[] {
  const base = [...(BASE[path] as string[])];
  const at = base.indexOf(flag);
  if (at >= 0) base.splice(at, 2);
  // Another topology flag than the base's would be refused as a conflict: fuzz it alone.
  if (TOPOLOGY.has(flag)) for (const t of TOPOLOGY) if (base.includes(t) && t !== '--pg') base.splice(base.indexOf(t), 2);
  return [...path.split(' '), ...base, flag, value];
}

/** Where files the flags name (--metrics-file 0, --checkpoint %) land, never the repository. */
const FLAG_DIR = tempDir();
writeFileSync(join(FLAG_DIR, 'drift.yml'), "entries:\n  - name: q\n    query: SELECT 'k:1' AS key, 'v' AS value\n    ttl: 1h\n");

async function bounded(args: string[]): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${BOUND_MS} ms: ${args.join(' ').slice(0, 200)}`)), BOUND_MS)),
  );
  try {
    return await Promise.race([runCli(args, { cwd: FLAG_DIR, ...(args[0] === 'sandbox' ? { env: SANDBOX_ENV } : {}) }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** redis-cli's short spellings that commander cannot declare (-h is --help there). */
const REDIS_CLI_SHORT: Record<string, string> = { '--host': '-h', '--port': '-p', '--socket': '-s', '--uri': '-u' };

/** `names`: what a refusal may name to point at the culprit (a flag's spellings, the file it gave). */
function assertHonest(r: CliResult, args: string[], names: string | readonly string[]): void {
  const shown = args.join(' ').slice(0, 160);
  assert.notEqual(r.code, 70, `${shown}\n${r.stderr.slice(0, 500)}`);
  assert.ok([0, 1, 2, 3].includes(r.code), `${shown}: exit ${r.code}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${shown}: a stack trace`);
  for (const line of r.stderr.split('\n')) assert.ok(line.length < 400, `${shown}: a line of ${line.length} characters`);
  // The run's own first lines (which topology it chose, the ring file's notes) come before a refusal found on connecting.
  const refusal = r.stderr.split('\n').find((line) => !/^cachectl: (topology|note): /.test(line));
  const any = typeof names === 'string' ? [names] : names;
  if (r.code === 2)
    assert.ok(
      any.some((n) => refusal?.includes(n)),
      `${shown}: the first line does not name ${any.join(' or ')}: ${r.stderr.slice(0, 300)}`,
    );
}

describe('every flag that takes a value, with hostile values', () => {
  const flags = valueFlags();
  test('every command that takes values has a base command line here (completion only prints)', () => {
    const program = buildProgram({
      io: { stdout: new StringSink(), stderr: new StringSink(), stdin: process.stdin, env: {}, cwd: process.cwd(), signal: new AbortController().signal },
      exitCode: 0,
      verbose: false,
    });
    const missing: string[] = [];
    const walk = (cmd: Command, prefix: string) => {
      for (const sub of cmd.commands) {
        const path = `${prefix}${sub.name()}`;
        const takesValues = sub.options.some((o) => o.required || o.optional);
        if (takesValues && sub.commands.length === 0 && !BASE[path] && !/^completion\b/.test(path)) missing.push(path);
        walk(sub, `${path} `);
      }
    };
    walk(program, '');
    assert.deepEqual(missing, []);
  });
  test('the walk found the flags (a change to the commands cannot empty this test)', () => {
    assert.ok(flags.length > 100, String(flags.length));
    for (const f of ['--ttl', '--lock-ttl', '--statement-timeout', '--progress-interval', '--fail-on', '--assert', '--pattern', '--watch']) {
      assert.ok(
        flags.some((x) => x.option.long === f),
        f,
      );
    }
  });
  for (const { path, option } of flags) {
    const flag = option.long as string;
    test(`${path} ${flag}`, async () => {
      // For the sandbox, also a file where a folder is expected.
      for (const value of path.startsWith('sandbox ') ? [...HOSTILE, 'drift.yml'] : HOSTILE) {
        const args = withFlag(path, flag, value);
        const r = await bounded(args);
        // A refusal names the flag, by either spelling (redis-cli's -h/-p/-s/-u are named as users type
        // them), or the file or value it was given (a key list that cannot be read is named by its path).
        const short = option.short ?? REDIS_CLI_SHORT[flag];
        const spellings = [flag, ...(short ? [`${short}:`, `${short}/`, `${short} `] : [])];
        assertHonest(r, args, value.trim() === '' ? spellings : [...spellings, value, JSON.stringify(value).slice(1, -1)]);
        if (r.code === 2 && !/^(cachectl: |error: )/.test(r.stderr)) assert.fail(`${args.join(' ').slice(0, 100)}: ${r.stderr.slice(0, 200)}`);
        // An accepted value went as far as the first redis-server, which is missing: nothing else was started.
        if (path === 'sandbox up' && r.code !== 2)
          assert.match(r.stderr, /cachectl-fuzz\/redis-server is not installed/, `${args.join(' ').slice(0, 100)}: ${r.stderr.slice(0, 300)}`);
      }
      if (path.startsWith('sandbox ')) {
        const left = (readdirSync(FLAG_DIR, { recursive: true }) as string[]).filter((f) => /(^|\/)(sandbox\.(json|lock)|cluster-1|ring-a)$/.test(f));
        assert.deepEqual(left, [], 'no sandbox state or node folder left behind');
      }
    });
  }
});

describe('every warmlist field, with hostile values', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'k.txt'), '1\n');
  const FIELDS = ['name', 'tier', 'ttl', 'jitter', 'keys', 'pattern', 'fetch', 'query', 'count', 'format', 'stale', 'only-missing', 'refresh-below'];
  const VALUES = [
    '""',
    '"%"',
    '-1',
    '0',
    '1e309',
    '99999999999999999999',
    '99999999999999999999d',
    '25d',
    '[1]',
    '{a: 1}',
    'null',
    '"\\0"',
    `"${'x'.repeat(100_000)}"`,
    '"{a}{b}"',
  ];
  const base = (field: string, value: string, kind: 'keys' | 'query') => {
    const lines = ['entries:', '  - name: a', '    ttl: 1h'];
    if (kind === 'keys')
      lines.push('    keys: k.txt', "    pattern: 'p:{id}'", '    fetch: SELECT id, 1 AS value FROM generate_series(1, 1) id WHERE id = ANY($1::bigint[])');
    else lines.push('    query: SELECT 1 AS key, 1 AS value');
    const at = lines.findIndex((l) => l.trimStart().startsWith(`${field}:`) || l.trimStart().startsWith(`- ${field}:`));
    if (at >= 0) lines[at] = lines[at]!.replace(/(\w[\w-]*): .*/, `${field}: ${value}`);
    else lines.push(`    ${field}: ${value}`);
    return lines.join('\n') + '\n';
  };
  for (const field of FIELDS) {
    test(`${field}:`, async () => {
      for (const kind of ['keys', 'query'] as const) {
        for (const value of VALUES) {
          writeFileSync(join(dir, 'w.yml'), base(field, value, kind));
          const args = ['warm', 'w.yml', '--redis', NO_REDIS, '--pg', NO_PG];
          let timer: NodeJS.Timeout | undefined;
          const r = await Promise.race([
            runCli(args, { cwd: dir }),
            new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${field}: ${value.slice(0, 40)}: no answer`)), BOUND_MS))),
          ]);
          clearTimeout(timer);
          assertHonest(r, [field, kind, value], 'w.yml');
          // Whatever the file says wrong is said with its line (or the file, for the whole-file checks).
          if (r.code === 2) assert.match(r.stderr, /^cachectl: w\.yml(:\d+)?: /, `${field}: ${value.slice(0, 40)} (${kind}): ${r.stderr.slice(0, 200)}`);
        }
      }
    });
  }

  test('values that used to be accepted silently are refused, with file:line and field', async () => {
    const cases: [string, RegExp][] = [
      ['entries:\n  - name: a\n    ttl: 1h\n    jitter: ""\n    query: SELECT 1\n', /^cachectl: w\.yml:4: jitter: '' must be a percentage/],
      ['entries:\n  - name: a\n    ttl: 1h\n    jitter: "%"\n    query: SELECT 1\n', /^cachectl: w\.yml:4: jitter: '%' must be a percentage/],
      [
        'entries:\n  - name: a\n    ttl: 1h\n    jitter: [1]\n    query: SELECT 1\n',
        /^cachectl: w\.yml:4: jitter: must be a single value, not a list or mapping\n$/,
      ],
      ['entries:\n  - name: a\n    ttl: 1h\n    tier: 0\n    query: SELECT 1\n', /^cachectl: w\.yml:4: tier: must be a whole number of at least 1/],
      [
        'entries:\n  - name: a\n    ttl: 1h\n    keys: k.txt\n    pattern: p:{id}\n    fetch: SELECT 1\n    count: 5\n',
        /^cachectl: w\.yml:7: count: `count:` is for `query:` entries/,
      ],
      ['entries:\n  - name: a\n    ttl: 3600\n    query: SELECT 1\n', /^cachectl: w\.yml:3: ttl: '3600' needs a unit: 3600s or 3600ms/],
      ['entries:\n  - name: a\n    ttl: 99999999999999999999d\n    query: SELECT 1\n', /^cachectl: w\.yml:3: ttl: .* is too long; use at most 3650d/],
      [
        `entries:\n  - name: a\n    ttl: 1h\n    keys: k.txt\n    pattern: "${'x'.repeat(10_000)}{id}"\n    fetch: SELECT 1\n`,
        /^cachectl: w\.yml:5: pattern: the pattern is 10004 characters long; a key pattern has at most 4096/,
      ],
    ];
    for (const [yaml, message] of cases) {
      writeFileSync(join(dir, 'w.yml'), yaml);
      const r = await runCli(['warm', 'w.yml', '--redis', NO_REDIS, '--pg', NO_PG], { cwd: dir });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  test('a 10 MB pattern in a warmlist is one line and exit 2, not exit 70', async () => {
    writeFileSync(
      join(dir, 'big.yml'),
      `entries:\n  - name: a\n    ttl: 1h\n    keys: k.txt\n    pattern: "${Array.from({ length: 1_000_000 }, (_, i) => `{p${i}}`).join(':')}"\n    fetch: SELECT 1\n`,
    );
    const r = await runCli(['warm', 'big.yml', '--redis', NO_REDIS, '--pg', NO_PG], { cwd: dir });
    assert.equal(r.code, 2, r.stderr.slice(0, 300));
    assert.match(r.stderr, /^cachectl: big\.yml: the warmlist is \d+ characters long; a warmlist has at most 1048576/);
  });
});
