import { Command } from 'commander';
import { deadCommand } from './commands/dead.ts';
import { inspectCommand } from './commands/inspect.ts';
import { keygenCommand } from './commands/keygen.ts';
import { kmsCommand } from './commands/kms.ts';
import { caCommand } from './commands/ca.ts';
import { messagesCommand } from './commands/messages.ts';
import { openCommand } from './commands/open.ts';
import { sealCommand } from './commands/seal.ts';
import { sendCommand } from './commands/send.ts';

/** The `sealpost` program: one command per file in ./commands. */
export function createProgram(): Command {
  const program = new Command('sealpost')
    .description('Sign-then-encrypt messaging: ECDSA-signed, AES-256-GCM encrypted envelopes with RSA-OAEP wrapped keys (local PEM keys or AWS KMS)')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  for (const command of [keygenCommand(), sealCommand(), openCommand(), inspectCommand(), sendCommand(), messagesCommand(), deadCommand(), kmsCommand(), caCommand()]) {
    program.addCommand(command.exitOverride());
  }
  return program;
}
