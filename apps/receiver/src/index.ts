/**
 * The Sealpost receiver: a worker that consumes envelopes, opens and verifies them, stores them,
 * and only then acknowledges them; plus an AWS Lambda handler for SQS event sources.
 *
 * @example
 * ```ts
 * import pino from 'pino'
 * import { loadReceiverConfig, startReceiverFromConfig } from '@sealpost/receiver'
 * const receiver = await startReceiverFromConfig(await loadReceiverConfig(), pino())
 * process.once('SIGTERM', () => receiver.stop())
 * ```
 */
export { loadReceiverConfig, loadReceiverSettings, describeSettings, SETTINGS, type ReceiverConfig } from './config.ts';
export { createReceiverMetrics, urlKind, RECEIVER_KMS_OPERATIONS, type BuildInfo, type ReceiverMetrics } from './metrics.ts';
export { createMessageProcessor, type ProcessorOptions } from './processor.ts';
export { startReceiver, type Receiver, type ReceiverParts } from './receiver.ts';
export { startReceiverFromConfig } from './worker.ts';
export { runReceiverCli } from './cli.ts';
export { createSqsHandler, type SqsHandlerOptions } from './lambda.ts';
export { createOffloadFromConfig, prepareWorkDir, type OffloadHandling } from './offload.ts';
export { describeTrust, TRUST_SETTINGS, type TrustListing } from './trust-listing.ts';
