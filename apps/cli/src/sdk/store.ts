/** Message stores: SQLite (embedded), PostgreSQL, Redis and DynamoDB, idempotent by message id. */
export * from '@sealpost/store';
