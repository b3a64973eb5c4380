import type { Command } from 'commander';

/** Each command's words as typed ("skypool sites apply"), with its subcommands and its flags. */
function commandTable(program: Command): { path: string; subcommands: string[]; flags: string[] }[] {
  const rows: { path: string; subcommands: string[]; flags: string[] }[] = [];
  const globalFlags = program.options.map((o) => o.long!);
  const visit = (command: Command, path: string) => {
    const own = command === program ? [] : command.options.map((o) => o.long!);
    rows.push({ path, subcommands: command.commands.map((c) => c.name()), flags: [...own, ...globalFlags, '--help'] });
    for (const sub of command.commands) visit(sub, `${path} ${sub.name()}`);
  };
  visit(program, program.name());
  return rows;
}

/**
 * A bash completion script for the command tree: after `source <(skypool completion bash)`, Tab
 * offers the subcommands of the words typed so far, or, after a `-`, their flags. zsh runs the
 * same script through its bash compatibility (bashcompinit).
 */
export function bashCompletion(program: Command): string {
  const table = commandTable(program);
  const entries = (pick: (row: (typeof table)[number]) => string[]) => table.map((row) => `  ["${row.path}"]="${pick(row).join(' ')}"`).join('\n');
  return `# skypool completion for bash: source <(skypool completion bash)
declare -A _skypool_commands=(
${entries((row) => row.subcommands)}
)
declare -A _skypool_flags=(
${entries((row) => row.flags)}
)
_skypool() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="${program.name()}" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case " \${_skypool_commands[$path]} " in *" $word "*) path="$path $word" ;; esac
  done
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "\${_skypool_flags[$path]}" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "\${_skypool_commands[$path]}" -- "$cur"))
  fi
}
complete -o default -F _skypool ${program.name()}
`;
}

/** The same for zsh (source <(skypool completion zsh)), through zsh's bash compatibility. */
export function zshCompletion(program: Command): string {
  return `# skypool completion for zsh: source <(skypool completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program).split('\n').slice(1).join('\n')}`;
}
