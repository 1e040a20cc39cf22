import { isSealpostError, type Opener } from '@sealpost/envelope';
import type { MessageStore } from '@sealpost/store';
import type { TransportConsumer } from '@sealpost/transport';
import type { Logger } from 'pino';
import { startHealthServer, type HealthServer } from './http-server.ts';
import type { ReceiverMetrics } from './metrics.ts';
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
 * consumer. Messages are opened, verified and stored before they are acknowledged.
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
  // A store that is briefly unavailable at start (a database restarting) is waited for, not fatal.
  for (let attempt = 1; ; attempt++) {
    try {
      await store.init();
      break;
    } catch (error) {
      if (!isSealpostError(error) || !error.transient || attempt >= 10) throw error;
      logger.warn({ code: error.code, reason: error.message, attempt }, 'store unavailable at start; retrying');
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** attempt)));
    }
  }
  let health: HealthServer | undefined;
  if (parts.http) {
    health = await startHealthServer({ ...parts.http, registry: metrics.registry, ready: () => consuming });
    logger.info({ port: health.port }, 'health and metrics server listening');
  }
  await consumer.start(createMessageProcessor(parts));
  consuming = true;
  logger.info('receiver started');
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
