import { parseArgs } from 'node:util';
import { isSealpostError } from '@sealpost/envelope';
import pino from 'pino';
import { describeSettings, loadReceiverConfig } from './config.ts';
import { receiverVersion } from './describe.ts';
import { startReceiverFromConfig } from './worker.ts';

const USAGE = 'usage: sealpost-receiver [--config FILE] [--help] [--version]';

/**
 * The `sealpost-receiver` command: parses `argv` (without node and the script), loads the
 * configuration, starts the receiver and stops it on SIGTERM/SIGINT. Every start-up failure is
 * one log line naming the setting and its code, never a stack trace; exit codes: 2 for usage and
 * configuration, 4 for a service that is unreachable now (retrying later may work), 1 otherwise.
 */
export async function runReceiverCli(argv: readonly string[]): Promise<void> {
  let values: { config?: string; help?: boolean; version?: boolean };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, help: { type: 'boolean' }, version: { type: 'boolean' } } }));
  } catch (error) {
    process.stderr.write(`sealpost-receiver: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    console.log(`${USAGE}\n\nSettings (environment variable, config-file key, meaning):\n${describeSettings()}\n\nAny other SEALPOST_* variable is refused, so a misspelled setting never falls back to its default.`);
    process.exit(0);
  }
  if (values.version) {
    console.log(receiverVersion());
    process.exit(0);
  }

  // Until the configuration is read, its log level is unknown (and may be invalid): start at info.
  let logger = pino({ level: 'info' });
  try {
    const config = await loadReceiverConfig(values.config ? { file: values.config } : {});
    logger = pino({ level: config.logLevel });
    const receiver = await startReceiverFromConfig(config, logger);
    let signals = 0;
    const stop = (signal: string) => {
      if (signals++ > 0) {
        logger.warn({ signal }, 'second signal: exiting now; unfinished messages will be delivered again');
        process.exit(1);
      }
      logger.info({ signal }, 'shutting down');
      void receiver.stop().then(() => process.exit(0));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  } catch (error) {
    if (isSealpostError(error)) {
      logger.fatal({ code: error.code, transient: error.transient }, error.message);
      process.exit(error.transient ? 4 : 2);
    }
    logger.fatal({ code: 'INTERNAL_ERROR' }, `receiver failed to start: ${(error as Error)?.message ?? String(error)}`);
    process.exit(1);
  }
}
