import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { bashCompletion, zshCompletion } from './completion.js';
import { buildProgram } from './program.js';

/** What bash offers for the words typed so far (the last one being completed), with the script loaded. */
function offered(words: string[]): string[] {
  const typed = words.map((w) => `'${w}'`).join(' ');
  const run = spawnSync('bash', ['-c', `${bashCompletion(buildProgram())}\nCOMP_WORDS=(${typed}); COMP_CWORD=${words.length - 1}; _skypool; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return run.stdout.split('\n').filter(Boolean).sort();
}

describe('shell completion', () => {
  it('offers the commands, then the subcommands of the words typed', () => {
    expect(offered(['skypool', ''])).toEqual(expect.arrayContaining(['submit', 'wait', 'sites', 'allocations', 'completion']));
    expect(offered(['skypool', 'sites', 'ap'])).toEqual(['apply']);
    expect(offered(['skypool', 'allocations', ''])).toEqual(['grant', 'list', 'revoke', 'update']);
  });

  it("offers a command's flags after a dash, the global ones too", () => {
    expect(offered(['skypool', 'submit', '--pro'])).toEqual(['--project']);
    expect(offered(['skypool', 'sites', 'apply', 'dir', '--d'])).toEqual(['--dry-run']);
    expect(offered(['skypool', 'list', '--'])).toEqual(expect.arrayContaining(['--project', '--state', '--json', '--url', '--token', '--help']));
  });

  it('gives zsh the same table through its bash compatibility', () => {
    const zsh = zshCompletion(buildProgram());
    expect(zsh).toContain('bashcompinit');
    expect(zsh).toContain('complete -o default -F _skypool skypool');
  });
});
