import { Command } from 'commander';
import { deadCommand } from './commands/dead.ts';
import { inspectCommand } from './commands/inspect.ts';
import { keygenCommand } from './commands/keygen.ts';
import { keysCommand } from './commands/keys.ts';
import { kmsCommand } from './commands/kms.ts';
import { caCommand } from './commands/ca.ts';
import { messagesCommand } from './commands/messages.ts';
import { openCommand } from './commands/open.ts';
import { sealCommand } from './commands/seal.ts';
import { sendCommand } from './commands/send.ts';

/** How the program reports. */
export interface ProgramOptions {
  /**
   * `--json` was given: usage errors are not printed by the parser (the caller reports them as
   * one JSON error object instead).
   */
  readonly json?: boolean;
}

function quietErrors(command: Command): void {
  command.configureOutput({ outputError: () => undefined }).showHelpAfterError(false);
  for (const sub of command.commands) quietErrors(sub);
}

/** The `sealpost` program: one command per file in ./commands. */
export function createProgram(options: ProgramOptions = {}): Command {
  const program = new Command('sealpost')
    .description('Sign-then-encrypt messaging: ECDSA-signed, AES-256-GCM encrypted envelopes with RSA-OAEP wrapped keys (local PEM keys or AWS KMS)')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const command of [keygenCommand(), keysCommand(), sealCommand(), openCommand(), inspectCommand(), sendCommand(), messagesCommand(), deadCommand(), kmsCommand(), caCommand()]) {
    program.addCommand(command.exitOverride());
  }
  if (options.json) quietErrors(program);
  return program;
}
