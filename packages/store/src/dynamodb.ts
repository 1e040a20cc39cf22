import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceNotFoundException,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { SealpostError, type SigningAlgorithm } from '@sealpost/envelope';
import type { RowStore, StoredRow } from './rows.ts';
import { decodeCertificates, encodeCertificates, settleConflict, senderIdentity } from './stored-message.ts';
import type { InitOptions, ListOptions, MessageStore, PutResult, StoredMessageSummary } from './types.ts';
import { withBlobs, type BlobOptions } from './with-blobs.ts';

/**
 * Options for {@link createDynamoDbStore}. Without `blobs`, payloads over the item limit are
 * refused (LIMIT_EXCEEDED); with one, payloads over `inlinePayloadMax` (at most 380 KiB) go there.
 */
export interface DynamoDbStoreOptions extends BlobOptions {
  /** The table (partition key `id`, a string). */
  readonly table: string;
  /** A client to use; by default one from the standard AWS configuration. */
  readonly client?: DynamoDBClient;
  /** Create the table (on-demand capacity) when it does not exist. @defaultValue true */
  readonly createTable?: boolean;
}

/** DynamoDB items are at most 400 KB; the rest of the item needs some room. */
const MAX_PAYLOAD_BYTES = 380 * 1024;
/** Errors about the item itself; every other failure (throttling, access, a missing table, the network) is an outage. */
const REFUSED = new Set(['ValidationException', 'ItemCollectionSizeLimitExceededException']);

type Item = Record<string, AttributeValue>;

function summaryOf(item: Item): StoredMessageSummary {
  return {
    id: item.id!.S!,
    senderKeyId: item.senderKeyId!.S!,
    senderAlgorithm: item.senderAlgorithm!.S! as SigningAlgorithm,
    recipients: JSON.parse(item.recipients!.S!) as string[],
    createdAt: new Date(Number(item.createdAt!.N)),
    receivedAt: new Date(Number(item.receivedAt!.N)),
    payloadName: item.payloadName!.S!,
    contentType: item.contentType!.S!,
    size: Number(item.size!.N),
    payloadSha256: item.payloadSha256!.B!,
    metadata: JSON.parse(item.metadata!.S!) as Record<string, string>,
    ...senderIdentity(item.senderSubject?.S, item.senderCertificate?.S),
    ...(item.payloadRef?.S ? { payloadRef: item.payloadRef.S } : {}),
  };
}

/**
 * DynamoDB store: one item per message, written with a conditional put on the id
 * (`attribute_not_exists(id)`), so a redelivery never writes twice. Payloads are limited by the
 * 400 KB item size: larger messages are rejected permanently (LIMIT_EXCEEDED). `list` scans and
 * sorts (fine for inspection, costly on large tables).
 */
export function createDynamoDbStore(options: DynamoDbStoreOptions): MessageStore {
  return withBlobs(dynamoRows(options), options);
}

function dynamoRows(options: DynamoDbStoreOptions): RowStore {
  const client = options.client ?? new DynamoDBClient({});
  const table = options.table;
  const fail = (error: unknown, what: string): never => {
    if (error instanceof SealpostError) throw error;
    const name = (error as Error).name;
    throw new SealpostError(REFUSED.has(name) ? 'STORE_REJECTED' : 'STORE_UNAVAILABLE', `DynamoDB ${what} on ${table}: ${name}: ${(error as Error).message}`, { cause: error });
  };
  return {
    maxRowPayloadBytes: MAX_PAYLOAD_BYTES,
    async init(initOptions: InitOptions = {}) {
      try {
        await client.send(new DescribeTableCommand({ TableName: table }));
      } catch (error) {
        if (error instanceof ResourceNotFoundException && initOptions.create === false) throw new SealpostError('STORE_NOT_FOUND', `DynamoDB table ${table} does not exist`, { cause: error });
        if (!(error instanceof ResourceNotFoundException) || options.createTable === false) return fail(error, 'DescribeTable');
        await client
          .send(new CreateTableCommand({ TableName: table, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }))
          .catch((e: unknown) => ((e as Error).name === 'ResourceInUseException' ? undefined : fail(e, 'CreateTable')));
      }
      for (let i = 0; i < 120; i++) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: table })).catch((e: unknown) => fail(e, 'DescribeTable'));
        if (Table?.TableStatus === 'ACTIVE') return;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new SealpostError('STORE_UNAVAILABLE', `DynamoDB table ${table} did not become ACTIVE`);
    },
    async insert(m: StoredRow): Promise<PutResult> {
      if (m.payload.length > MAX_PAYLOAD_BYTES) {
        throw new SealpostError('LIMIT_EXCEEDED', `message ${m.id} has a ${m.payload.length}-byte payload; the DynamoDB store holds at most ${MAX_PAYLOAD_BYTES} bytes (400 KB items)`);
      }
      const item: Item = {
        id: { S: m.id },
        senderKeyId: { S: m.senderKeyId },
        senderAlgorithm: { S: m.senderAlgorithm },
        recipients: { S: JSON.stringify(m.recipients) },
        createdAt: { N: String(m.createdAt.getTime()) },
        receivedAt: { N: String(m.receivedAt.getTime()) },
        payloadName: { S: m.payloadName },
        contentType: { S: m.contentType },
        size: { N: String(m.size) },
        payload: { B: m.payload },
        ...(m.payloadRef ? { payloadRef: { S: m.payloadRef } } : {}),
        payloadSha256: { B: m.payloadSha256 },
        metadata: { S: JSON.stringify(m.metadata) },
        manifest: { B: m.manifest },
        signature: { B: m.signature },
        certificates: { S: encodeCertificates(m.certificates) },
        ...(m.senderSubject && m.senderCertificate ? { senderSubject: { S: m.senderSubject }, senderCertificate: { S: m.senderCertificate } } : {}),
      };
      try {
        await client.send(new PutItemCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(id)' }));
        return 'stored';
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) return fail(error, 'PutItem');
      }
      const { Item: existing } = await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: m.id } }, ConsistentRead: true, ProjectionExpression: 'manifest' })).catch((e: unknown) => fail(e, 'GetItem'));
      return settleConflict(existing?.manifest?.B, m);
    },
    async existing(id) {
      const { Item: item } = await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true, ProjectionExpression: 'manifest, payloadRef' })).catch((e: unknown) => fail(e, 'GetItem'));
      return item?.manifest?.B ? { manifest: item.manifest.B, ...(item.payloadRef?.S ? { payloadRef: item.payloadRef.S } : {}) } : undefined;
    },
    async read(id) {
      const { Item: item } = await client.send(new GetItemCommand({ TableName: table, Key: { id: { S: id } }, ConsistentRead: true })).catch((e: unknown) => fail(e, 'GetItem'));
      return item ? { ...summaryOf(item), payload: item.payload?.B ?? new Uint8Array(0), manifest: item.manifest!.B!, signature: item.signature!.B!, certificates: decodeCertificates(item.certificates?.S) } : undefined;
    },
    async list(listOptions: ListOptions = {}) {
      const items: Item[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client
          .send(new ScanCommand({ TableName: table, ProjectionExpression: 'id, senderKeyId, senderAlgorithm, recipients, createdAt, receivedAt, payloadName, contentType, #size, payloadSha256, metadata, senderSubject, senderCertificate, payloadRef', ExpressionAttributeNames: { '#size': 'size' }, ...(start ? { ExclusiveStartKey: start } : {}) }))
          .catch((e: unknown) => fail(e, 'Scan'));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return items
        .map(summaryOf)
        .filter((s) => listOptions.after === undefined || s.id > listOptions.after)
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .slice(0, listOptions.limit ?? 100);
    },
    async close() {
      if (!options.client) client.destroy();
    },
  };
}
