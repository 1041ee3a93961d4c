/**
 * What every --help shows beyond the flags: defaults as they are typed (`5s`, not `"5s"`) and
 * examples for each command. Applied once to the whole program tree by cli.ts.
 */
import type { Command, Option } from 'commander';

const EXAMPLES: Record<string, string[]> = {
  cachectl: [
    'npx cachectl sandbox up',
    'npx cachectl warm warmlists/catalog.yml --sandbox',
    'npx cachectl inspect ttl --sandbox --fail-on cliff>1000',
    'eval "$(npx cachectl completion bash)"',
  ],
  warm: [
    'cachectl warm warmlists/catalog.yml --cluster 10.0.0.1:7000 --pg "$DATABASE_URL"',
    "cachectl warm --keys hot.txt --pattern 'product:{id}' --ttl 1h --jitter 10% \\\n    --fetch 'SELECT id, row_to_json(p)::text AS value FROM products p WHERE id = ANY($1::bigint[])'",
    'cachectl warm --query "SELECT \'category:\' || slug AS key, name AS value FROM categories" --ttl 10m --dry-run',
    'cachectl warm warmlists/catalog.yml --refresh-below 10m --deadline 5m --metrics-file /var/lib/node_exporter/cachectl.prom',
  ],
  inspect: [
    'cachectl inspect --cluster 10.0.0.1:7000',
    'cachectl inspect ttl --cluster 10.0.0.1:7000',
    'cachectl inspect locks --redis redis://cache:6379 --fail-on stuck-locks',
    'cachectl inspect nodes --sandbox --watch 5s',
  ],
  'inspect ttl': [
    "cachectl inspect ttl --cluster 10.0.0.1:7000 --match 'product:*' --fail-on 'no-ttl>100,cliff>1000'",
    'cachectl inspect ttl product:1 product:2 --sandbox',
    'cachectl inspect ttl --keys hot.txt --ring-config twemproxy.yml --json',
  ],
  'inspect stampede': [
    'cachectl inspect stampede --sandbox --threshold 50 --window 5s',
    'cachectl inspect stampede --cluster 10.0.0.1:7000 --fail-on leaked-counters',
  ],
  'inspect locks': ['cachectl inspect locks --sandbox --lock-max-age 1m', 'cachectl inspect locks --redis redis://cache:6379 --fail-on stuck-locks,old-locks'],
  'inspect stale': ['cachectl inspect stale --sandbox', "cachectl inspect stale --cluster 10.0.0.1:7000 --stale-suffix ':old' --fail-on stale-no-ttl"],
  'inspect overview': [
    'cachectl inspect --sandbox',
    "cachectl inspect --cluster 10.0.0.1:7000 --fail-on 'nodes-down,cliff>5000' --cliff-threshold 5000",
    'cachectl inspect overview --ring-config twemproxy.yml --watch 5s',
  ],
  'inspect hotkeys': [
    "cachectl inspect hotkeys --cluster 10.0.0.1:7000 --match 'product:*' --top 5000 > hot-products.txt",
    "cachectl warm --keys hot-products.txt --pattern 'product:{id}' --fetch '...' --ttl 1h --cluster 10.0.0.1:7000",
  ],
  'inspect drift': [
    'cachectl inspect drift warmlists/catalog.yml --sandbox',
    'cachectl inspect drift catalog.yml --cluster 10.0.0.1:7000 --pg "$DATABASE_URL" --all --fail-on \'drift>1%\' --drifted-keys drifted.txt',
  ],
  'inspect nodes': [
    'cachectl inspect nodes --sandbox',
    'cachectl inspect nodes --cluster 10.0.0.1:7000 --watch 2s',
    "cachectl inspect nodes --ring-config twemproxy.yml --fail-on 'memory>90%'",
  ],
  herd: [
    "cachectl herd --sandbox --key product:42 --fetch 'SELECT * FROM products WHERE id = $1' --strategy all",
    "cachectl herd --sandbox --key product:42 --fetch 'SELECT * FROM products WHERE id = $1' --clients 200 --db-delay 100ms --assert 'amplification<=1.5,p(99)<250'",
    'cachectl herd --url http://127.0.0.1:8080/products/42 --invalidate product:42 --sandbox --clients 100',
  ],
  'herd simulate': ['cachectl herd simulate --clients 200 --recompute 100ms', 'cachectl herd simulate --rate 300 --duration 60s --ttl 1s --json'],
  ring: [
    'cachectl ring locate product:1 product:2 --ring-config twemproxy.yml',
    'cachectl ring stats --ring-config twemproxy.yml --keys keys.txt',
    "cachectl ring diff --ring-config twemproxy.yml --add '10.0.0.4:6379:1 cache-4'",
  ],
  'ring locate': ['cachectl ring locate product:1 --cluster 10.0.0.1:7000', 'redis-cli --scan | cachectl ring locate - --ring-config twemproxy.yml'],
  'ring stats': ['cachectl ring stats --ring-config twemproxy.yml', "cachectl ring stats --ring '10.0.0.1:6379,10.0.0.2:6379' --keys keys.txt --json"],
  'ring diff': [
    "cachectl ring diff --ring-config twemproxy.yml --add '10.0.0.4:6379:1 cache-4'",
    'cachectl ring diff --ring-config twemproxy.yml --remove cache-2 --keys keys.txt',
  ],
  sandbox: ['cachectl sandbox up', 'eval "$(cachectl sandbox env)"', 'cachectl sandbox down'],
  'sandbox up': ['cachectl sandbox up', 'cachectl sandbox up --pg postgres://postgres@127.0.0.1:5432/postgres'],
  'sandbox status': ['cachectl sandbox status', 'cachectl sandbox status --json'],
  'sandbox down': ['cachectl sandbox down'],
  'sandbox env': ['eval "$(cachectl sandbox env)"'],
  completion: ['eval "$(cachectl completion bash)"        # in ~/.bashrc', 'cachectl completion zsh > "${fpath[1]}/_cachectl"   # then restart zsh'],
};

/** The command's path below the program, e.g. `inspect ttl`; `cachectl` for the program. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.length > 0 ? names.join(' ') : 'cachectl';
}

export function examplesOf(path: string): readonly string[] {
  return EXAMPLES[path] ?? [];
}

/** Adds the examples to every command of the tree and unquoted defaults to every option. */
export function applyHelp(program: Command): void {
  const walk = (cmd: Command) => {
    cmd.configureHelp({ optionDescription: (option: Option) => describeOption(option) });
    const examples = examplesOf(commandPath(cmd));
    if (examples.length > 0) cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n`);
    for (const sub of cmd.commands) walk(sub);
  };
  walk(program);
}

function describeOption(option: Option): string {
  const extra: string[] = [];
  if (option.argChoices) extra.push(`choices: ${option.argChoices.join(', ')}`);
  const shown = option.required || option.optional || (option.isBoolean() && typeof option.defaultValue === 'boolean');
  if (option.defaultValue !== undefined && shown) extra.push(`default: ${option.defaultValueDescription ?? String(option.defaultValue)}`);
  return extra.length > 0 ? `${option.description} (${extra.join(', ')})`.trim() : option.description;
}
