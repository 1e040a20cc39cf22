import type { Opener } from '@sealpost/envelope';
import type { MessageStore } from '@sealpost/store';
import type { TransportConsumer } from '@sealpost/transport';
import type { Logger } from 'pino';
import { startHealthServer, type HealthServer } from './http-server.ts';
import type { ReceiverMetrics } from './metrics.ts';
import { rm } from 'node:fs/promises';
import type { OffloadHandling } from './offload.ts';
import { createMessageProcessor } from './processor.ts';

/** The parts a receiver runs. */
export interface ReceiverParts {
  readonly opener: Opener;
  readonly store: MessageStore;
  readonly consumer: TransportConsumer;
  readonly metrics: ReceiverMetrics;
  readonly logger: Logger;
  /** Where to serve /metrics, /healthz, /readyz; omit to serve nothing. */
  readonly http?: { readonly host: string; readonly port: number };
  /** How long in-flight messages may take to finish on stop, in ms. @defaultValue 30000 */
  readonly shutdownTimeoutMs?: number;
  /** How offload pointers are followed; without it every pointer is dead-lettered (POINTER_BUCKET_NOT_ALLOWED). */
  readonly offload?: OffloadHandling;
  /** What the start log line says about this receiver (transport, store, version, ...). */
  readonly describe?: Record<string, unknown>;
}

/** A running receiver. */
export interface Receiver {
  /** Port of the health/metrics server, when one runs. */
  readonly httpPort: number | undefined;
  /**
   * Stops taking messages, lets in-flight ones finish within the shutdown timeout, then closes
   * the transport, the store and the HTTP server — each even if another fails. Idempotent.
   */
  stop(): Promise<void>;
}

/**
 * Starts a receiver: initialises the store (migrations), starts the health server, then the
 * consumer. Messages are opened, verified and stored before they are acknowledged. Any of the
 * three failing fails the start (and closes what was opened): an unreachable store or transport
 * is reported at once, not waited for.
 *
 * @example
 * ```ts
 * const receiver = await startReceiver({ opener, store, consumer, metrics: createReceiverMetrics(), logger: pino() })
 * process.once('SIGTERM', () => receiver.stop())
 * ```
 */
export async function startReceiver(parts: ReceiverParts): Promise<Receiver> {
  const { store, consumer, logger, metrics } = parts;
  let consuming = false;
  // Fail fast: a store that cannot be reached now is reported, naming it, and nothing is consumed.
  // Outages after start are the retry machinery's (transient failures, redelivered with backoff).
  await store.init();
  let health: HealthServer | undefined;
  try {
    if (parts.http) {
      health = await startHealthServer({ ...parts.http, registry: metrics.registry, ready: () => consuming });
      logger.info({ port: health.port }, 'health and metrics server listening');
    }
    await consumer.start(createMessageProcessor(parts));
  } catch (error) {
    await consumer.stop(0).catch(() => undefined);
    await health?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }
  consuming = true;
  logger.info({ ...parts.describe, metrics: health && parts.http ? `http://${parts.http.host}:${health.port}/metrics` : 'off' }, 'receiver started');
  let stopping: Promise<void> | undefined;
  return {
    httpPort: health?.port,
    stop() {
      stopping ??= (async () => {
        consuming = false;
        logger.info('receiver stopping');
        const steps: [string, () => Promise<void>][] = [
          ['transport', () => consumer.stop(parts.shutdownTimeoutMs ?? 30_000)],
          ['store', () => store.close()],
          ['http', () => health?.close() ?? Promise.resolve()],
          ['offload', async () => {
            parts.offload?.reader.close();
            if (parts.offload) await rm(parts.offload.workDir, { recursive: true, force: true });
          }],
        ];
        for (const [name, step] of steps) {
          try {
            await step();
          } catch (error) {
            logger.error({ err: error, step: name }, 'error while stopping');
          }
        }
        logger.info('receiver stopped');
      })();
      return stopping;
    },
  };
}
