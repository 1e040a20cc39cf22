import { readFile } from 'node:fs/promises';
import { SealpostError, checkMessageOptions, createSealer, ioError, openInputFile, type BatchSigningOptions, type DataKeyReuse, type KeyWrapper, type SealMessageOptions, type Signer } from '@sealpost/envelope';
import type { S3Offload, TransportSender } from '@sealpost/transport';

/** Options for offloading large envelopes to S3 (the claim-check pattern). */
export interface OffloadOptions {
  /** Where envelopes go (`createS3Offload`). */
  readonly to: S3Offload;
  /**
   * Envelopes larger than this many bytes are offloaded and the queue carries a pointer;
   * `'always'` offloads every one. @defaultValue the transport's `maxEnvelopeBytes`: what does not fit a message
   */
  readonly threshold?: number | 'always';
}

/** Options for {@link createSender}. */
export interface SenderOptions {
  readonly signer: Signer;
  /**
   * The signer's certificate chain, DER, leaf first (`parseCertificateChain` reads PEM): carried
   * in every envelope and bound by its signature, so a receiver that trusts the issuing CA
   * accepts this sender without knowing its key. @defaultValue none
   */
  readonly certificates?: readonly Uint8Array[];
  readonly recipients: readonly KeyWrapper[];
  readonly transport: TransportSender;
  /** Reuse wrapped data keys across messages (see the envelope package). @defaultValue true */
  readonly dataKeyReuse?: DataKeyReuse | boolean;
  /**
   * Sign in batches: one signature (one KMS Sign) for up to `maxMessages` messages sealed within
   * `maxDelayMs`; each envelope carries the signed batch statement and its own inclusion proof
   * (FORMAT.md section 15). `sendMany` and concurrent `send` calls fill the batches. A failed
   * batch Sign fails every message of the batch with that error. `true` uses the default bounds.
   * @defaultValue false: one signature per message
   */
  readonly batchSigning?: BatchSigningOptions | boolean;
  /**
   * Messages sealed at once by `sendMany` (1 to 65,536). With batch signing, up to four groups of
   * this many are in flight: three being signed while the next is sealed.
   * @defaultValue 16, or `batchSigning.maxMessages` (256) when batching
   */
  readonly concurrency?: number;
  /**
   * Offload envelopes over a threshold to S3 and send a pointer instead (the transport must have
   * `sendPointer`: SQS, BullMQ). @defaultValue none: an envelope too large for the transport fails with MESSAGE_TOO_LARGE
   */
  readonly offload?: OffloadOptions;
}

/** One message for {@link Sender.sendMany}. */
export interface OutgoingMessage extends SealMessageOptions {
  readonly payload: Uint8Array;
}

/** Seals messages and hands them to a transport. */
export interface Sender {
  /** Seals and sends one message; resolves to its id once the transport has accepted it. */
  send(payload: Uint8Array, options?: SealMessageOptions): Promise<string>;
  /**
   * Seals and sends many messages with bounded concurrency, in transport batches; resolves to
   * one result per message, in order (a failure of one does not stop the others).
   */
  sendMany(
    messages: Iterable<OutgoingMessage> | AsyncIterable<OutgoingMessage>,
    onProgress?: (done: number) => void,
  ): Promise<({ id: string } | { error: SealpostError })[]>;
  /**
   * Seals and sends one file. With offload, a file whose payload alone reaches the threshold is
   * sealed as a stream straight into S3 (memory stays constant whatever its size) and the queue
   * carries its pointer; a smaller one is read and sent as {@link Sender.send} does.
   */
  sendFile(path: string, options?: SealMessageOptions): Promise<string>;
  /**
   * With offload, the envelope size in bytes above which envelopes go to S3 (0 for `'always'`):
   * a file whose payload alone reaches it is streamed by {@link Sender.sendFile}. Undefined without offload.
   */
  readonly offloadThreshold: number | undefined;
  /** Closes the transport (and the offload client). Idempotent. */
  close(): Promise<void>;
}

// Batches being handed to the transport at once: one is in the air while the next is sealed.
const BATCHES_IN_FLIGHT = 2;
// With batch signing, groups of `concurrency` seals whose signing batch may be in flight at once:
// a KMS round trip (a few ms, more on a busy host) then overlaps the sealing of the next groups.
const SIGNING_GROUPS_IN_FLIGHT = 4;

/**
 * Creates a sender.
 *
 * @example
 * ```ts
 * const sender = createSender({ signer, recipients, transport: openTransport('spool:.sealpost/spool').sender })
 * const id = await sender.send(Buffer.from('{"order":1}'), { name: 'order.json', contentType: 'application/json' })
 * ```
 */
export function createSender(options: SenderOptions): Sender {
  const batching = options.batchSigning === true ? {} : options.batchSigning || undefined;
  // A batch fills only from seals in flight together: batching seals a batch's worth at once.
  const concurrency = options.concurrency ?? (batching ? (batching.maxMessages ?? 256) : 16);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 65_536) throw new SealpostError('CONFIG_INVALID', 'concurrency must be between 1 and 65536');
  const sealer = createSealer({
    signer: options.signer,
    ...(options.certificates?.length ? { certificates: options.certificates } : {}),
    recipients: options.recipients,
    dataKeyReuse: options.dataKeyReuse ?? true,
    ...(batching ? { batchSigning: batching } : {}),
  });
  const { transport } = options;
  const offload = options.offload;
  if (offload && !transport.sendPointer) throw new SealpostError('CONFIG_INVALID', 'this transport cannot carry offload pointers: use SQS or BullMQ');
  const threshold = offload?.threshold === 'always' ? 0 : (offload?.threshold ?? transport.maxEnvelopeBytes);
  if (!Number.isSafeInteger(threshold) || threshold < 0) throw new SealpostError('CONFIG_INVALID', "offload threshold must be a byte count or 'always'");
  const offloads = (envelopeBytes: number) => offload !== undefined && envelopeBytes > threshold;
  /** Uploads an envelope (bytes or a seal stream), then sends its pointer: the pointer only ever names a complete object. */
  const sendOffloaded = async (id: string, envelope: AsyncIterable<Uint8Array> | Uint8Array) => {
    const pointer = await offload!.to.upload(id, envelope);
    await transport.sendPointer!(pointer, { messageId: id });
  };
  let closing: Promise<void> | undefined;
  const asError = (error: unknown) => (error instanceof SealpostError ? error : new SealpostError('INTERNAL_ERROR', String(error), { cause: error }));
  const send = async (payload: Uint8Array, messageOptions?: SealMessageOptions) => {
    const { id, envelope } = await sealer.seal(payload, messageOptions);
    if (offloads(envelope.length)) await sendOffloaded(id, envelope);
    else await transport.send(envelope, { messageId: id });
    return id;
  };
  return {
    send,
    offloadThreshold: offload ? threshold : undefined,
    async sendFile(path, messageOptions = {}) {
      if (!offload) return send(await readFile(path).catch(fileError(path)), messageOptions);
      checkMessageOptions(messageOptions);
      const input = await openInputFile(path);
      try {
        // The envelope is always larger than its payload: a payload at the threshold is offloaded unread.
        if (input.size < threshold) {
          input.stream.destroy();
          return await send(await readFile(path).catch(fileError(path)), messageOptions);
        }
        const { id, stream } = sealer.sealStream(input.stream, input.size, messageOptions);
        await sendOffloaded(id, stream);
        return id;
      } finally {
        input.stream.destroy();
      }
    },
    async sendMany(messages, onProgress) {
      const results: ({ id: string } | { error: SealpostError })[] = [];
      let done = 0;
      const sealed: { index: number; id: string; envelope: Uint8Array }[] = [];
      const sending = new Set<Promise<void>>();
      // An envelope over the offload threshold goes on its own: to S3, then its pointer.
      const sendAlone = (item: (typeof sealed)[number]) => {
        const sent: Promise<void> = sendOffloaded(item.id, item.envelope)
          .then(
            () => void (results[item.index] = { id: item.id }),
            (error: unknown) => void (results[item.index] = { error: asError(error) }),
          )
          .finally(() => {
            sending.delete(sent);
            done += 1;
            onProgress?.(done);
          });
        sending.add(sent);
      };
      const sendBatch = (items: typeof sealed) => {
        const sent: Promise<void> = transport
          .sendBatch(items.map((i) => ({ envelope: i.envelope, options: { messageId: i.id } })))
          .then(
            () => items.forEach((item) => (results[item.index] = { id: item.id })),
            (error: unknown) => items.forEach((item) => (results[item.index] = { error: asError(error) })),
          )
          .finally(() => {
            sending.delete(sent);
            done += items.length;
            onProgress?.(done);
          });
        sending.add(sent);
      };
      // Hands over full transport batches (everything left when `all`), with a bounded number in the air.
      const flush = async (all: boolean) => {
        while (sealed.length >= transport.batchSize || (all && sealed.length > 0)) {
          sendBatch(sealed.splice(0, transport.batchSize));
          while (sending.size >= BATCHES_IN_FLIGHT) await Promise.race(sending);
        }
        // Offloaded envelopes are in the air on their own (sendAlone): bounded the same way.
        while (sending.size >= BATCHES_IN_FLIGHT) await Promise.race(sending);
        if (all) await Promise.all(sending);
      };
      let index = 0;
      let pending: Promise<void>[] = [];
      // With batch signing, the groups before `pending` whose batches are being signed (one KMS
      // round trip each) while `pending` is sealed: the sender does not sit idle for every Sign.
      const signing: Promise<void>[] = [];
      for await (const message of messages) {
        const at = index++;
        pending.push(
          sealer.seal(message.payload, message).then(
            ({ id, envelope }) => void (offloads(envelope.length) ? sendAlone({ index: at, id, envelope }) : sealed.push({ index: at, id, envelope })),
            (error: unknown) => void (results[at] = { error: asError(error) }),
          ),
        );
        // Backpressure: at most `concurrency` seals in flight (four groups with batch signing) before the batches go out.
        if (pending.length >= concurrency) {
          // Nothing more joins these seals' signing batch until they finish: sign it now.
          sealer.flush();
          if (batching) {
            signing.push(Promise.all(pending).then(() => undefined));
            if (signing.length >= SIGNING_GROUPS_IN_FLIGHT) await signing.shift();
          } else {
            await Promise.all(pending);
          }
          pending = [];
          await flush(false);
        }
      }
      sealer.flush();
      await Promise.all([...signing, ...pending]);
      await flush(true);
      return results;
    },
    close() {
      closing ??= transport.close().finally(() => offload?.to.close());
      return closing;
    },
  };
}

const fileError = (path: string) => (cause: unknown): never => {
  throw ioError(`cannot read ${path}`, cause);
};
