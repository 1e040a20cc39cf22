/** The receiver: the worker that opens, verifies, stores and then acknowledges, and the AWS Lambda SQS handler. */
export * from '@sealpost/receiver';
