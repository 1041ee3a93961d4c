/**
 * `cachectl completion bash|zsh`: a completion script generated from the command tree itself,
 * so every command, subcommand, flag and flag choice completes, and a new flag needs no edit here.
 */
import { Argument, type Command } from 'commander';
import { UsageError } from '../errors.js';
import type { CommandContext } from './context.js';
import { PSQL_HABITS } from './connection-flags.js';

interface Node {
  path: string;
  subcommands: string[];
  flags: string[];
  /** Flags that take a value, with the values to offer ('' when free text or a file). */
  values: Record<string, string[]>;
}

export function registerCompletion(program: Command, ctx: CommandContext): Command {
  return program
    .command('completion')
    .description('print a shell completion script: eval "$(cachectl completion bash)", or for zsh save it as _cachectl in $fpath')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .action(async (shell: string) => {
      const nodes = treeOf(program);
      // Loaded when it runs, like every command's action: startup and --help load no reporter.
      const { outputFor } = await import('../reporters/output.js');
      if (shell === 'bash') outputFor(ctx.io).result(bashScript(nodes));
      else if (shell === 'zsh') outputFor(ctx.io).result(zshScript(nodes));
      else throw new UsageError(`completion: '${shell}' is not a supported shell; use bash or zsh`);
    });
}

export function treeOf(program: Command): Node[] {
  const out: Node[] = [];
  const walk = (cmd: Command, path: string) => {
    const values: Record<string, string[]> = {};
    const flags: string[] = [];
    for (const option of [...cmd.options, ...program.options]) {
      if (option.long && PSQL_HABITS.has(option.long)) continue;
      for (const flag of [option.long, option.short]) if (flag) flags.push(flag);
      if ((option.required || option.optional) && option.long) values[option.long] = option.argChoices ?? [];
    }
    flags.push('--help');
    out.push({ path, subcommands: cmd.commands.map((c) => c.name()), flags: [...new Set(flags)], values });
    for (const sub of cmd.commands) walk(sub, path === '' ? sub.name() : `${path} ${sub.name()}`);
  };
  walk(program, '');
  return out;
}

const quote = (words: string[]) => words.join(' ');

function bashScript(nodes: Node[]): string {
  const cases = nodes
    .map((n) => {
      const valueCases = Object.entries(n.values)
        .map(
          ([flag, choices]) =>
            `        ${flag}) ${choices.length > 0 ? `COMPREPLY=($(compgen -W "${quote(choices)}" -- "$cur"))` : 'COMPREPLY=($(compgen -f -- "$cur"))'}; return ;;`,
        )
        .join('\n');
      return `    "${n.path}")
      case "$prev" in
${valueCases}
      esac
      words_here="${quote([...n.subcommands, ...n.flags])}" ;;`;
    })
    .join('\n');
  return `# bash completion for cachectl: eval "$(cachectl completion bash)"
_cachectl() {
  local cur prev path="" w words_here
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local known=" ${quote([...new Set(nodes.flatMap((n) => n.subcommands))])} "
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if [[ "$w" != -* && "$known" == *" $w "* ]]; then path="\${path:+$path }$w"; fi
  done
  case "$path" in
${cases}
    *) words_here="" ;;
  esac
  COMPREPLY=($(compgen -W "$words_here" -- "$cur"))
}
complete -o default -F _cachectl cachectl
`;
}

function zshScript(nodes: Node[]): string {
  // zsh runs the bash function through bashcompinit: one generator, the same answers in both shells.
  return `#compdef cachectl
# zsh completion for cachectl: save as _cachectl in a directory of $fpath (or eval "$(cachectl completion zsh)")
autoload -U +X bashcompinit && bashcompinit
${bashScript(nodes).split('\n').slice(1).join('\n')}`;
}
