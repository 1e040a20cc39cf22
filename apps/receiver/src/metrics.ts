import { ERROR_CODES } from '@sealpost/envelope';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The KMS operations a receiver makes: Decrypt (data keys), GetPublicKey (KMS senders verified
 * locally), Verify (`SEALPOST_KMS_VERIFY=kms`), DescribeKey (start-up and `--check`).
 */
export const RECEIVER_KMS_OPERATIONS = ['Decrypt', 'DescribeKey', 'GetPublicKey', 'Verify'] as const;

/** What `sealpost_build_info` says about the running receiver. */
export interface BuildInfo {
  /** The receiver's version. @defaultValue 'unknown' */
  readonly version?: string;
  /** The transport kind (spool, bullmq, sqs, lambda-sqs), never its URL. @defaultValue 'unknown' */
  readonly transport?: string;
  /** The store kind (sqlite, postgres, dynamodb, redis), never its URL. @defaultValue 'unknown' */
  readonly store?: string;
}

/** The receiver's Prometheus metrics, on their own registry. */
export interface ReceiverMetrics {
  readonly registry: Registry;
  readonly received: Counter;
  readonly receivedBytes: Counter;
  readonly inFlight: Gauge;
  readonly stored: Counter;
  readonly duplicates: Counter;
  readonly rejected: Counter<'code'>;
  readonly retries: Counter<'code'>;
  readonly deadLettered: Counter<'code'>;
  readonly kmsCalls: Counter<'operation'>;
  readonly openSeconds: Histogram;
  readonly processSeconds: Histogram;
  readonly buildInfo: Gauge<'version' | 'node_version' | 'transport' | 'store'>;
}

/** The scheme of a transport or store URL (`bullmq://...` -> bullmq), never the rest of it. */
export function urlKind(url: string): string {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase().replace(/^postgresql$/, 'postgres').replace(/^rediss$/, 'redis') ?? 'unknown';
}

/**
 * Creates the metrics. Node's default metrics (event-loop lag, heap, GC) are included: a
 * worker whose event loop stalls misses queue heartbeats, so lag is worth watching.
 *
 * Every labelled counter starts with each of its label values at zero — every
 * {@link ERROR_CODES} code, every {@link RECEIVER_KMS_OPERATIONS} operation — so that
 * `rate()` and `increase()` see the first event as a change from 0 rather than as a new series
 * (which they would miss), and an alert on a code that has never happened still evaluates.
 */
export function createReceiverMetrics(info: BuildInfo = {}): ReceiverMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const registers = [registry];
  const byCode = (name: string, help: string) => {
    const counter = new Counter({ name, help, labelNames: ['code'] as const, registers });
    for (const code of Object.keys(ERROR_CODES)) counter.inc({ code }, 0);
    return counter;
  };
  const kmsCalls = new Counter({ name: 'sealpost_kms_calls_total', help: 'AWS KMS API calls, by operation', labelNames: ['operation'] as const, registers });
  for (const operation of RECEIVER_KMS_OPERATIONS) kmsCalls.inc({ operation }, 0);
  const buildInfo = new Gauge({ name: 'sealpost_build_info', help: 'Always 1; its labels name the receiver version, the Node.js version and the transport and store kinds', labelNames: ['version', 'node_version', 'transport', 'store'] as const, registers });
  buildInfo.set({ version: info.version ?? 'unknown', node_version: process.versions.node, transport: info.transport ?? 'unknown', store: info.store ?? 'unknown' }, 1);
  return {
    registry,
    received: new Counter({ name: 'sealpost_messages_received_total', help: 'Envelopes taken from the transport', registers }),
    receivedBytes: new Counter({ name: 'sealpost_received_bytes_total', help: 'Bytes of the envelopes taken from the transport (offloaded ones once read in full)', registers }),
    inFlight: new Gauge({ name: 'sealpost_messages_in_flight', help: 'Envelopes being opened and stored right now', registers }),
    stored: new Counter({ name: 'sealpost_messages_stored_total', help: 'Messages verified and newly stored', registers }),
    duplicates: new Counter({ name: 'sealpost_messages_duplicate_total', help: 'Redelivered messages already stored (acknowledged, no new row)', registers }),
    rejected: byCode('sealpost_messages_rejected_total', 'Messages failed permanently, by error code'),
    retries: byCode('sealpost_messages_retried_total', 'Transient failures left for redelivery, by error code'),
    deadLettered: byCode('sealpost_messages_dead_lettered_total', 'Deliveries moved to the dead-letter destination, by error code'),
    kmsCalls,
    openSeconds: new Histogram({ name: 'sealpost_open_duration_seconds', help: 'Time to open and verify one envelope', buckets, registers }),
    processSeconds: new Histogram({ name: 'sealpost_process_duration_seconds', help: 'Time from delivery to stored', buckets, registers }),
    buildInfo,
  };
}
