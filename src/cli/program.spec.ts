import { describe, expect, it } from '@jest/globals';
import type { Command } from 'commander';
import { buildProgram } from './program.js';

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

describe('the skypool command tree', () => {
  const commands = allCommands(buildProgram());

  it('describes every command', () => {
    for (const command of commands) expect(`${command.name()}: ${command.description()}`).not.toMatch(/: $/);
  });

  it("mentions each command's flags and operands in its help", () => {
    for (const command of commands) {
      const help = command.helpInformation();
      for (const option of command.options) expect(`${command.name()}: ${help}`).toContain(option.long!);
      for (const argument of command.registeredArguments) expect(`${command.name()}: ${help}`).toContain(argument.name());
    }
  });
});
