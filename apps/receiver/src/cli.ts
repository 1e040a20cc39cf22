import { parseArgs } from 'node:util';
import { isSealpostError } from '@sealpost/envelope';
import pino from 'pino';
import { checkReceiver, printableSettings } from './check.ts';
import { describeSettings, loadReceiverConfig } from './config.ts';
import { receiverVersion } from './describe.ts';
import { startReceiverFromConfig } from './worker.ts';
import type { Receiver } from './receiver.ts';

const USAGE = 'usage: sealpost-receiver [--config FILE] [--check] [--help] [--version]';

/** `--check`: prints the resolved settings and one line per check; returns the exit code (0, or 2 when any failed). */
async function preflight(file: string | undefined): Promise<number> {
  let config;
  try {
    config = await loadReceiverConfig(file ? { file } : {});
  } catch (error) {
    process.stdout.write(`FAIL configuration: ${isSealpostError(error) ? `${error.code}: ${error.message}` : (error as Error).message}\n`);
    return 2;
  }
  process.stdout.write(`sealpost-receiver ${receiverVersion()} settings:\n${Object.entries(printableSettings(config)).map(([k, v]) => `  ${k.padEnd(20)} ${JSON.stringify(v)}`).join('\n')}\n`);
  const results = await checkReceiver(config);
  for (const r of results) process.stdout.write(r.ok ? `ok   ${r.name}\n` : `FAIL ${r.name}: ${r.problem}\n`);
  return results.every((r) => r.ok) ? 0 : 2;
}

/**
 * The `sealpost-receiver` command: parses `argv` (without node and the script), loads the
 * configuration, starts the receiver and stops it on SIGTERM/SIGINT. Every start-up failure is
 * one log line naming the setting and its code, never a stack trace; exit codes: 2 for usage and
 * configuration, 4 for a service that is unreachable now (retrying later may work), 1 otherwise.
 */
export async function runReceiverCli(argv: readonly string[]): Promise<void> {
  let values: { config?: string; check?: boolean; help?: boolean; version?: boolean };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, check: { type: 'boolean' }, help: { type: 'boolean' }, version: { type: 'boolean' } } }));
  } catch (error) {
    process.stderr.write(`sealpost-receiver: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    console.log(`${USAGE}\n\n--check: validate the configuration, resolve every key (KMS keys by DescribeKey), connect to the store and the transport, print the resolved settings (no secrets) and exit 0, or 2 naming what failed.\n\nSettings (environment variable, config-file key, meaning):\n${describeSettings()}\n\nAny other SEALPOST_* variable is refused, so a misspelled setting never falls back to its default.`);
    process.exit(0);
  }
  if (values.version) {
    console.log(receiverVersion());
    process.exit(0);
  }

  if (values.check) process.exit(await preflight(values.config));

  // Until the configuration is read, its log level is unknown (and may be invalid): start at info.
  let logger = pino({ level: 'info' });
  try {
    const config = await loadReceiverConfig(values.config ? { file: values.config } : {});
    logger = pino({ level: config.logLevel });
    // Signals are taken before the receiver starts: one that arrives as the start is logged stops
    // it gracefully once started, instead of killing the process with the default action.
    let receiver: Receiver | undefined;
    let stopping = false;
    let signals = 0;
    const stop = (signal: string) => {
      if (signals++ > 0) {
        logger.warn({ signal }, 'second signal: exiting now; unfinished messages will be delivered again');
        process.exit(1);
      }
      logger.info({ signal }, 'shutting down');
      stopping = true;
      if (receiver) void receiver.stop().then(() => process.exit(0));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    receiver = await startReceiverFromConfig(config, logger);
    if (stopping) void receiver.stop().then(() => process.exit(0));
  } catch (error) {
    if (isSealpostError(error)) {
      logger.fatal({ code: error.code, transient: error.transient }, error.message);
      process.exit(error.transient ? 4 : 2);
    }
    logger.fatal({ code: 'INTERNAL_ERROR' }, `receiver failed to start: ${(error as Error)?.message ?? String(error)}`);
    process.exit(1);
  }
}
