import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The receiver's Prometheus metrics, on their own registry. */
export interface ReceiverMetrics {
  readonly registry: Registry;
  readonly received: Counter;
  readonly stored: Counter;
  readonly duplicates: Counter;
  readonly rejected: Counter<'code'>;
  readonly retries: Counter<'code'>;
  readonly kmsCalls: Counter<'operation'>;
  readonly openSeconds: Histogram;
  readonly processSeconds: Histogram;
}

/**
 * Creates the metrics. Node's default metrics (event-loop lag, heap, GC) are included: a
 * worker whose event loop stalls misses queue heartbeats, so lag is worth watching.
 */
export function createReceiverMetrics(): ReceiverMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
  const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  return {
    registry,
    received: new Counter({ name: 'sealpost_messages_received_total', help: 'Envelopes taken from the transport', registers: [registry] }),
    stored: new Counter({ name: 'sealpost_messages_stored_total', help: 'Messages verified and newly stored', registers: [registry] }),
    duplicates: new Counter({ name: 'sealpost_messages_duplicate_total', help: 'Redelivered messages already stored (acknowledged, no new row)', registers: [registry] }),
    rejected: new Counter({ name: 'sealpost_messages_rejected_total', help: 'Messages failed permanently, by error code', labelNames: ['code'], registers: [registry] }),
    retries: new Counter({ name: 'sealpost_messages_retried_total', help: 'Transient failures left for redelivery, by error code', labelNames: ['code'], registers: [registry] }),
    kmsCalls: new Counter({ name: 'sealpost_kms_calls_total', help: 'AWS KMS API calls, by operation', labelNames: ['operation'], registers: [registry] }),
    openSeconds: new Histogram({ name: 'sealpost_open_duration_seconds', help: 'Time to open and verify one envelope', buckets, registers: [registry] }),
    processSeconds: new Histogram({ name: 'sealpost_process_duration_seconds', help: 'Time from delivery to stored', buckets, registers: [registry] }),
  };
}
