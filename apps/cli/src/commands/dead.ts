import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { DEFAULT_LIMITS, SealpostError, inspect } from '@sealpost/envelope';
import type { DeadLetter, DeadLetterBox, DeadLetterSelection } from '@sealpost/transport';
import { createOutput, usage } from '../output.ts';

const transportOption = ['--transport <url>', 'the transport the receiver consumes: spool:DIR, bullmq://HOST:PORT/QUEUE or sqs:QUEUE_URL?deadLetter=DLQ_URL (default: $SEALPOST_TRANSPORT, else spool:.sealpost/spool)'] as const;

const transportOf = (options: { transport?: string }) => options.transport ?? process.env.SEALPOST_TRANSPORT ?? 'spool:.sealpost/spool';

async function withBox<T>(options: { transport?: string }, work: (box: DeadLetterBox) => Promise<T>): Promise<T> {
  // The transports' clients (BullMQ, ioredis, the SQS SDK) load only for dead-letter commands.
  const { openDeadLetters } = await import('@sealpost/transport');
  const box = openDeadLetters(transportOf(options));
  try {
    return await work(box);
  } finally {
    await box.close();
  }
}

const line = (l: DeadLetter) => `${l.id}  ${l.code.padEnd(20)} ${l.at ?? '-'}  attempts ${l.attempts ?? '-'}  ${l.size} bytes${l.offloaded ? ` (offloaded: ${l.offloaded})` : ''}  ${l.reason}`;

/** The selection named by `[ids...]`, `--all` or `--code`: exactly one of them. */
function selection(ids: readonly string[], options: { all?: boolean; code?: string }): DeadLetterSelection {
  const given = [ids.length > 0, Boolean(options.all), options.code !== undefined].filter(Boolean).length;
  if (given !== 1) throw usage('name the dead letters: one or more ids, --all, or --code CODE (exactly one of these)');
  if (options.all) return { all: true };
  if (options.code !== undefined) return { code: options.code };
  return { ids };
}

/** Named ids that are not dead letters: an error naming them, before anything is changed. */
async function assertPresent(box: DeadLetterBox, chosen: DeadLetterSelection): Promise<void> {
  if (!('ids' in chosen)) return;
  const letters = await box.list();
  const { selects } = await import('@sealpost/transport');
  const missing = chosen.ids.filter((id) => !letters.some((l) => selects({ ids: [id] }, l)));
  if (missing.length > 0) throw new SealpostError('CONFIG_INVALID', `no dead letter ${missing.join(', ')}`);
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw usage('purge deletes dead letters for good: confirm with --yes when not run at a terminal');
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

/** `sealpost dead ...`: the dead letters of a transport. */
export function deadCommand(): Command {
  const dead = new Command('dead').description('Dead letters of a transport (spool, BullMQ, SQS): list, show, send back to the queue, purge');
  dead.addCommand(
    new Command('list')
      .description('List dead letters: message id, error code, when, attempts, size, reason')
      .option(...transportOption)
      .option('--json', 'one JSON object per line')
      .action(async (options: { transport?: string; json?: boolean }) => {
        const letters = await withBox(options, (box) => box.list());
        for (const l of letters) process.stdout.write(`${options.json ? JSON.stringify(l) : line(l)}\n`);
        if (!options.json) process.stderr.write(`${letters.length} dead letter(s)\n`);
      })
      .exitOverride(),
  );
  dead.addCommand(
    new Command('show')
      .description('Show one dead letter, with its envelope header when it has one (recipients; no keys needed)')
      .argument('<id>', 'message id or transport id')
      .option(...transportOption)
      .option('--json', 'print as JSON')
      .action(async (id: string, options: { transport?: string; json?: boolean }) => {
        const letter = await withBox(options, (box) => box.get(id));
        if (!letter) throw new SealpostError('CONFIG_INVALID', `no dead letter ${id}`);
        const { envelope, ...summary } = letter;
        let header: Record<string, unknown> | string;
        try {
          header = { ...inspect(envelope.subarray(0, 13 + DEFAULT_LIMITS.maxHeaderBytes)) };
        } catch (error) {
          header = `not readable: ${(error as Error).message}`;
        }
        const shown = { ...summary, header };
        createOutput(Boolean(options.json)).result(shown, Object.entries(shown).map(([k, v]) => `${k.padEnd(12)} ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n'));
      })
      .exitOverride(),
  );
  dead.addCommand(
    new Command('redrive')
      .description('Put dead letters back on the source queue, each once, and remove them from the dead letters')
      .argument('[ids...]', 'message ids or transport ids')
      .option('--all', 'every dead letter')
      .option('--code <code>', 'the dead letters of one error code, e.g. UNTRUSTED_SENDER')
      .option(...transportOption)
      .option('--json', 'print the result as JSON')
      .addHelpText('after', '\nFix the cause first (trust the sender, restart the receiver), then:\n  sealpost dead redrive --transport spool:.sealpost/spool 0190d2c4-...')
      .action(async (ids: string[], options: { all?: boolean; code?: string; transport?: string; json?: boolean }) => {
        const chosen = selection(ids, options);
        const moved = await withBox(options, async (box) => {
          await assertPresent(box, chosen);
          return box.redrive(chosen);
        });
        createOutput(Boolean(options.json)).result({ redriven: moved.map((l) => l.id) }, `${moved.length} dead letter(s) sent back to the queue${moved.length ? `: ${moved.map((l) => l.id).join(', ')}` : ''}`);
      })
      .exitOverride(),
  );
  dead.addCommand(
    new Command('purge')
      .description('Delete dead letters for good (asks first unless --yes)')
      .argument('[ids...]', 'message ids or transport ids')
      .option('--all', 'every dead letter')
      .option('--code <code>', 'the dead letters of one error code')
      .option('--yes', 'do not ask')
      .option(...transportOption)
      .option('--json', 'print the result as JSON')
      .action(async (ids: string[], options: { all?: boolean; code?: string; yes?: boolean; transport?: string; json?: boolean }) => {
        const chosen = selection(ids, options);
        const removed = await withBox(options, async (box) => {
          await assertPresent(box, chosen);
          if (!options.yes) {
            const { selects } = await import('@sealpost/transport');
            const count = (await box.list()).filter((l) => selects(chosen, l)).length;
            if (!(await confirm(`delete ${count} dead letter(s) for good?`))) return undefined;
          }
          return box.purge(chosen);
        });
        if (!removed) {
          process.stderr.write('nothing deleted\n');
          return;
        }
        createOutput(Boolean(options.json)).result({ purged: removed.map((l) => l.id) }, `${removed.length} dead letter(s) deleted`);
      })
      .exitOverride(),
  );
  return dead;
}
