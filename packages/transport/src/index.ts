/**
 * Sealpost transports behind one interface: a local spool directory and BullMQ on Redis.
 *
 * @example
 * ```ts
 * import { openTransport } from '@sealpost/transport'
 * const { sender, consumer } = openTransport('spool:.sealpost/spool')
 * await sender.send(envelope, { messageId: id })
 * await consumer.start(async (delivery) => { await storeIt(delivery.envelope) })
 * ```
 */
export type * from './types.ts';
export type { TransportEvents } from './events.ts';
export { createSpoolTransport, type SpoolOptions } from './spool.ts';
export { createBullmqTransport, type BullmqOptions } from './bullmq.ts';
export { createSqsTransport, type SqsOptions } from './sqs.ts';
export { openTransport, type OpenTransportOptions } from './open-transport.ts';
export { parseTransportUrl, type TransportTarget } from './open-transport.ts';
export { selects, type DeadLetter, type DeadLetterBox, type DeadLetterSelection } from './dead-letters.ts';
export { openDeadLetters } from './open-dead-letters.ts';
export { createSpoolDeadLetters } from './spool-dead-letters.ts';
export { createBullmqDeadLetters } from './bullmq-dead-letters.ts';
export { createSqsDeadLetters } from './sqs-dead-letters.ts';
export { probeTransport } from './probe-transport.ts';
export { POINTER_CLASS, SIZE_ATTRIBUTE, SHA256_ATTRIBUTE, checkPointer, looksLikePointer, parseOffloadLocation, parsePointer, pointerBody, type OffloadLocation, type OffloadPointer } from './offload/pointer.ts';
export { createS3Offload, createS3OffloadReader, type S3Offload, type S3OffloadOptions, type S3OffloadReader, type S3OffloadReaderOptions } from './offload/s3-offload.ts';
export { s3ClientFromEnvironment } from './offload/s3-client.ts';
