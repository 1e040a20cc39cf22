#!/usr/bin/env node
/**
 * sealpost-receiver: consumes a transport, opens and verifies every envelope, stores it, and
 * only then acknowledges it. Configured by SEALPOST_* environment variables and/or
 * `--config FILE` (JSON); `--help` lists every setting, `--version` prints the version.
 */
import { runReceiverCli } from './cli.ts';

await runReceiverCli(process.argv.slice(2));
