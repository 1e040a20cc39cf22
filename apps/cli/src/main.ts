#!/usr/bin/env node
import { CommanderError } from 'commander';
import { removeTemporariesOnExit } from './cleanup.ts';
import { createProgram } from './program.ts';
import { reportError, usage } from './output.ts';

const json = process.argv.includes('--json');
removeTemporariesOnExit();
// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
try {
  await createProgram({ json }).parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) process.exitCode = reportError(error, json);
  // Help and --version end with code 0; Commander has printed them.
  else if (error.exitCode === 0) process.exitCode = 0;
  // Without --json Commander has printed its usage message; with it, the message is one JSON error.
  else process.exitCode = json ? reportError(usage(error.message.replace(/^error: /, '')), true) : 2;
}
