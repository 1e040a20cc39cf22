/** Transports: a local spool directory, BullMQ on Redis and Amazon SQS behind one interface. */
export * from '@sealpost/transport';
