/**
 * The deployable AWS Lambda function (handler `index.handler` in the zip that
 * scripts/build-lambda.ts writes): SQS event source -> open and verify -> store, with partial
 * batch responses. Configured like the worker by SEALPOST_* environment variables: SEALPOST_KEYS,
 * SEALPOST_TRUST, SEALPOST_STORE (`dynamodb://TABLE` in the usual deployment), the limits, age
 * window, data-key cache and SEALPOST_LOG_LEVEL; the transport and metrics settings do not apply.
 * Keys, trusted senders and the store are set up once per execution environment, during init, so
 * a bad setting fails the init, naming it, instead of every invocation.
 *
 * Offloaded envelopes (SEALPOST_OFFLOAD_BUCKETS): payloads are written to /tmp while verified,
 * one at a time, so the largest envelope fetched defaults to LAMBDA_DEFAULT_OFFLOAD_MAX_BYTES
 * (400 MiB, inside the default 512 MB of ephemeral storage) unless SEALPOST_OFFLOAD_MAX_BYTES
 * says otherwise; raise both together. A larger pointer is dead-lettered as OFFLOAD_TOO_LARGE.
 */
import pino from 'pino';
import { loadReceiverConfig } from './config.ts';
import { createSqsHandler } from './lambda.ts';
import { receiverVersion } from './describe.ts';
import { createReceiverMetrics, urlKind } from './metrics.ts';
import { createOffloadFromConfig } from './offload.ts';
import { createOpenerFromConfig } from './opener-from-config.ts';
import { storeFromConfig } from './store-from-config.ts';

/** The largest offloaded envelope a function fetches unless SEALPOST_OFFLOAD_MAX_BYTES is set: 400 MiB. */
export const LAMBDA_DEFAULT_OFFLOAD_MAX_BYTES = 400 * 1024 * 1024;

const loaded = await loadReceiverConfig();
const config = process.env.SEALPOST_OFFLOAD_MAX_BYTES ? loaded : { ...loaded, offloadMaxBytes: LAMBDA_DEFAULT_OFFLOAD_MAX_BYTES };
const logger = pino({ level: config.logLevel });
const metrics = createReceiverMetrics({ version: receiverVersion(), transport: 'lambda-sqs', store: urlKind(config.store) });
const opener = await createOpenerFromConfig(config, metrics, logger);

/** The Lambda handler: returns the records that were not handled as `batchItemFailures`. */
const offload = await createOffloadFromConfig(config);
export const handler = createSqsHandler({ opener, store: storeFromConfig(config), logger, metrics, ...(offload ? { offload } : {}) });
