import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli.js';
import { StringSink } from '../../src/io.js';
import { runCli } from '../harness/cli.js';

/** Every command path of the program (walked, so a new command cannot be left out), and the program itself. */
function commandPaths(): string[] {
  const program = buildProgram({
    io: { stdout: new StringSink(), stderr: new StringSink(), stdin: process.stdin, env: {}, cwd: process.cwd(), signal: new AbortController().signal },
    exitCode: 0,
    verbose: false,
  });
  const paths: string[] = [''];
  const walk = (cmd: Command, prefix: string) => {
    for (const sub of cmd.commands) {
      const path = `${prefix}${sub.name()}`;
      paths.push(path);
      walk(sub, `${path} `);
    }
  };
  walk(program, '');
  return paths;
}
const COMMANDS = commandPaths();

test('the help test covers every command, the inspect views added later among them', () => {
  for (const path of [
    'warm',
    'inspect',
    'inspect overview',
    'inspect hotkeys',
    'inspect drift',
    'inspect ttl',
    'herd simulate',
    'ring diff',
    'sandbox env',
    'completion',
  ])
    assert.ok(COMMANDS.includes(path), `${path} is walked`);
});

test('every --help has examples, and shows duration defaults as typed (5s), never quoted or in raw ms', async () => {
  for (const path of COMMANDS) {
    const r = await runCli([...path.split(' ').filter(Boolean), '--help']);
    assert.equal(r.code, 0, path);
    assert.match(r.stdout, /\nExamples:\n {2}\S/, `${path || 'cachectl'}: no examples`);
    assert.doesNotMatch(r.stdout, /default: "/, path);
    assert.doesNotMatch(r.stdout, /\b\d{4,}ms\b/, path);
  }
  const herd = (await runCli(['herd', '--help'])).stdout;
  assert.match(herd, /--lock-ttl <duration>\s+lock: TTL of lock:<key> \(default: 5s\)/);
  assert.match(herd, /--max-time <duration>[\s\S]*?\(default: 2m\)/);
});

test('completion bash is a valid script that completes commands, flags and flag choices', async (t) => {
  const r = await runCli(['completion', 'bash']);
  assert.equal(r.code, 0, r.stderr);
  const dir = mkdtempSync(join(tmpdir(), 'cachectl-completion-'));
  const file = join(dir, 'c.bash');
  writeFileSync(file, r.stdout);
  const complete = (words: string[]) =>
    execFileSync(
      'bash',
      ['-c', `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _cachectl; echo "\${COMPREPLY[@]}"`],
      { encoding: 'utf8' },
    ).trim();
  await t.test('subcommands', () => assert.deepEqual(complete(['cachectl', 'inspect', 's']).split(' ').sort(), ['stale', 'stampede']));
  await t.test('a flag of a nested command', () => assert.equal(complete(['cachectl', 'inspect', 'locks', '--lock-m']), '--lock-max-age'));
  await t.test('the choices of a flag', () => assert.equal(complete(['cachectl', 'herd', '--trigger', 'pe']), 'pexpire'));
  await t.test('zsh wraps the same completion', async () => {
    const z = await runCli(['completion', 'zsh']);
    assert.match(z.stdout, /^#compdef cachectl\n/);
    assert.match(z.stdout, /bashcompinit/);
  });
});

test('completion of an unknown shell is exit 2 naming the choices', async () => {
  const r = await runCli(['completion', 'fish']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /'fish' is invalid for argument 'shell'. Allowed choices are bash, zsh/);
});

test('only the named command is built, yet help, a misspelt command and `help <command>` still see them all', async () => {
  const top = await runCli(['--help']);
  for (const name of ['warm', 'inspect', 'herd', 'ring', 'sandbox', 'completion']) assert.match(top.stdout, new RegExp(`\\n  ${name}\\b`), name);
  const typo = await runCli(['inspcet', 'ttl']);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown command 'inspcet'[\s\S]*Did you mean inspect\?/);
  const viaHelp = await runCli(['help', 'ring']);
  assert.equal(viaHelp.code, 0, viaHelp.stderr);
  assert.match(viaHelp.stdout, /Usage: cachectl ring/);
  const globalFirst = await runCli(['--no-color', 'ring', 'locate', 'user:1', '--ring', '127.0.0.1:7001,127.0.0.1:7002']);
  assert.equal(globalFirst.code, 0, globalFirst.stderr);
});
