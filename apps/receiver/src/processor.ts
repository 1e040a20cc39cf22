import { SealpostError, isSealpostError, type Opener } from '@sealpost/envelope';
import { toStoredFields, toStoredMessage, type MessageStore, type PutResult } from '@sealpost/store';
import type { Delivery, MessageHandler, OffloadPointer } from '@sealpost/transport';
import type { Logger } from 'pino';
import type { ReceiverMetrics } from './metrics.ts';
import { withOffloaded, type OffloadHandling } from './offload.ts';

/** What the processor needs. */
export interface ProcessorOptions {
  readonly opener: Opener;
  readonly store: MessageStore;
  readonly metrics: ReceiverMetrics;
  readonly logger: Logger;
  /** How offload pointers are followed; without it every pointer is dead-lettered (POINTER_BUCKET_NOT_ALLOWED). */
  readonly offload?: OffloadHandling;
}

/** What one delivery came to, for the log line. */
interface Outcome {
  readonly manifest: { readonly id: string; readonly sender: { readonly keyId: string }; readonly payload: { readonly size: number } };
  readonly result: PutResult;
}

/**
 * The per-message pipeline: open (every envelope check) -> store -> resolve. The transport
 * acknowledges only when this resolves, so nothing is acknowledged before it is stored.
 *
 * - A permanent failure (bad signature, untrusted sender, replay, ...) rejects with a
 *   SealpostError whose `transient` is false: the transport dead-letters it after one attempt.
 * - A transient failure (KMS throttled, store down) rejects with `transient` true: the
 *   transport retries with backoff.
 * - Anything unexpected is treated as transient: retried, and dead-lettered only by the
 *   backend's redrive limit.
 * - An offloaded envelope (a pointer) is checked before any download, streamed through the
 *   streaming open into a payload file and stored from it; once stored, its object is deleted
 *   (unless kept). A failed one keeps its object, for the dead letter.
 * Logs carry ids, codes and sizes, never payloads or key material.
 */
export function createMessageProcessor(options: ProcessorOptions): MessageHandler {
  const { opener, store, metrics, logger, offload } = options;

  const inline = async (envelope: Uint8Array): Promise<Outcome> => {
    const stopOpen = metrics.openSeconds.startTimer();
    const opened = await opener.open(envelope).finally(() => stopOpen());
    return { manifest: opened.manifest, result: await store.put(toStoredMessage(opened, new Date())) };
  };

  const offloaded = async (pointer: OffloadPointer, log: Logger): Promise<Outcome> => {
    const started = performance.now();
    const outcome = await withOffloaded(offload, opener, pointer, async (verified, payloadPath) => {
      // Download and open, as for an inline envelope the open alone; the pointer's size is now proven.
      metrics.openSeconds.observe((performance.now() - started) / 1000);
      metrics.receivedBytes.inc(pointer.size);
      // The store streams the payload file into its row or blob; the file is removed afterwards.
      return { manifest: verified.manifest, result: await store.putFile(toStoredFields(verified, new Date()), payloadPath) };
    });
    if (!offload!.keep) {
      // Stored first, deleted second: a crash in between leaves an object (a lifecycle rule's to
      // expire), never a message without its copy. A failed delete is logged, not retried:
      // the message is stored, and redelivering it would download it again for nothing.
      await offload!.reader.remove(pointer).catch((error: unknown) => log.warn({ code: (error as SealpostError).code, reason: (error as Error).message, bucket: pointer.bucket, key: pointer.key }, 'offloaded object not deleted'));
    }
    return outcome;
  };

  return async (delivery: Delivery) => {
    const started = performance.now();
    metrics.received.inc();
    // A pointer's size is only a claim until its object is read: counted once it has been.
    if (!delivery.pointer) metrics.receivedBytes.inc(delivery.envelope.byteLength);
    metrics.inFlight.inc();
    const log = logger.child({ transportId: delivery.transportId, attempt: delivery.attempt, ...(delivery.pointer ? { offloaded: `s3://${delivery.pointer.bucket}/${delivery.pointer.key}` } : {}) });
    try {
      const { manifest, result } = delivery.pointer ? await offloaded(delivery.pointer, log) : await inline(delivery.envelope);
      if (result === 'stored') metrics.stored.inc();
      else metrics.duplicates.inc();
      metrics.processSeconds.observe((performance.now() - started) / 1000);
      log.info({ messageId: manifest.id, sender: manifest.sender.keyId, size: manifest.payload.size, result }, result === 'stored' ? 'message stored' : 'duplicate delivery acknowledged');
    } catch (error) {
      const failure = isSealpostError(error) ? error : new SealpostError('INTERNAL_ERROR', `unexpected failure: ${(error as Error)?.message ?? String(error)}`, { cause: error, transient: true });
      if (failure.transient) {
        metrics.retries.inc({ code: failure.code });
        log.warn({ code: failure.code, reason: failure.message }, 'transient failure, will retry');
      } else {
        metrics.rejected.inc({ code: failure.code });
        log.warn({ code: failure.code, reason: failure.message }, 'message rejected');
      }
      if (!isSealpostError(error)) log.error({ err: error }, 'unexpected error in the message pipeline');
      throw failure;
    } finally {
      metrics.inFlight.dec();
    }
  };
}

