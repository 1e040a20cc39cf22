#!/usr/bin/env node
/**
 * sealpost-receiver: consumes a transport, opens and verifies every envelope, stores it, and
 * only then acknowledges it. Configured by SEALPOST_* environment variables and/or
 * `--config FILE` (JSON); `--help` lists every setting.
 */
import { parseArgs } from 'node:util';
import { isSealpostError } from '@sealpost/envelope';
import pino from 'pino';
import { describeSettings, loadReceiverConfig } from './config.ts';
import { startReceiverFromConfig } from './worker.ts';

const { values } = parseArgs({ options: { config: { type: 'string' }, help: { type: 'boolean', default: false } } });
if (values.help) {
  console.log(`usage: sealpost-receiver [--config FILE]\n\nSettings (environment variable, config-file key, meaning):\n${describeSettings()}`);
  process.exit(0);
}

let logger = pino({ level: process.env.SEALPOST_LOG_LEVEL ?? 'info' });
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
  logger.fatal({ err: error }, 'receiver failed to start');
  process.exit(1);
}
