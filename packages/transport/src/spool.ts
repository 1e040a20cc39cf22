import { randomUUID } from 'node:crypto';
import { open, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SealpostError, isSealpostError, makeDirectory, syncDirectory } from '@sealpost/envelope';
import type { Delivery, MessageHandler, SendOptions, TransportConsumer, TransportSender } from './types.ts';
import type { TransportEvents } from './events.ts';

/** Options for {@link createSpoolTransport}. */
export interface SpoolOptions {
  /** Handlers running at once (1-256). @defaultValue 8 */
  readonly concurrency?: number;
  /** How often `incoming/` is scanned, in ms. @defaultValue 100 */
  readonly pollIntervalMs?: number;
  /** First retry delay after a transient failure, doubling per attempt, in ms. @defaultValue 500 */
  readonly retryDelayMs?: number;
  /** Longest retry delay, in ms. @defaultValue 60000 */
  readonly maxRetryDelayMs?: number;
  /**
   * Largest envelope accepted by `send`, and by the consumer: a larger file is dead-lettered
   * (MESSAGE_TOO_LARGE) without being read. @defaultValue 64 MiB
   */
  readonly maxEnvelopeBytes?: number;
  /** Observes what happens to deliveries (logging, metrics). */
  readonly events?: TransportEvents;
}

const SUFFIX = '.sealpost';

/** Spool file names: `<not-before ms, 15 digits>-<attempt>-<id>.sealpost`, so they sort by due time. */
export function spoolName(notBefore: number, attempt: number, id: string): string {
  return `${String(notBefore).padStart(15, '0')}-${attempt}-${id}${SUFFIX}`;
}

/** Reads a spool file name; undefined when it does not follow the naming. */
export function parseSpoolName(name: string): { notBefore: number; attempt: number; id: string } | undefined {
  const match = /^(\d{15})-(\d+)-([\w-]+)\.sealpost$/.exec(name);
  return match ? { notBefore: Number(match[1]), attempt: Number(match[2]), id: match[3]! } : undefined;
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new SealpostError('CONFIG_INVALID', `${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/**
 * The local spool directory: the embedded default transport, no server needed.
 *
 * - `send` writes the envelope to `tmp/`, fsyncs it, renames it into `incoming/` and fsyncs the
 *   directory: a sent envelope survives a crash, and a reader never sees half a file.
 * - A worker claims a file by renaming it into `processing/` (the rename is the lock). When the
 *   handler resolves the file is removed; a permanent failure moves it to `dead/` with
 *   `<name>.reason.json`; a transient failure moves it back to `incoming/` with a later due time.
 * - At start, files left in `processing/` by a crashed worker go back to `incoming/`: they are
 *   delivered again, and the store's idempotency makes that safe.
 * - An entry of `incoming/` whose name does not follow the naming above, that is not a regular
 *   file (FORMAT_INVALID) or that is larger than `maxEnvelopeBytes` (MESSAGE_TOO_LARGE, checked
 *   before it is read) is moved to `dead/` with its reason after one attempt.
 */
export function createSpoolTransport(directory: string, options: SpoolOptions = {}): { sender: TransportSender; consumer: TransportConsumer } {
  const concurrency = checkRange('concurrency', options.concurrency ?? 8, 1, 256);
  const pollIntervalMs = checkRange('pollIntervalMs', options.pollIntervalMs ?? 100, 1, 60_000);
  const retryDelayMs = checkRange('retryDelayMs', options.retryDelayMs ?? 500, 0, 3_600_000);
  const maxRetryDelayMs = checkRange('maxRetryDelayMs', options.maxRetryDelayMs ?? 60_000, 0, 86_400_000);
  const maxEnvelopeBytes = options.maxEnvelopeBytes ?? 64 * 1024 * 1024;
  const dirs = { tmp: join(directory, 'tmp'), incoming: join(directory, 'incoming'), processing: join(directory, 'processing'), dead: join(directory, 'dead') };
  let prepared: Promise<void> | undefined;
  const prepare = () =>
    (prepared ??= Promise.all(Object.values(dirs).map((d) => makeDirectory(d))).then(
      () => undefined,
      (error: unknown) => {
        prepared = undefined;
        throw error;
      },
    ));
  const io = (what: string) => (cause: unknown): never => {
    throw new SealpostError('TRANSPORT_UNAVAILABLE', `spool ${directory}: ${what}: ${(cause as Error).message}`, { cause });
  };

  async function send(envelope: Uint8Array, sendOptions?: SendOptions): Promise<void> {
    if (envelope.length > maxEnvelopeBytes) throw new SealpostError('MESSAGE_TOO_LARGE', `envelope of ${envelope.length} bytes exceeds the spool limit of ${maxEnvelopeBytes}`);
    await prepare().catch(io('create directories'));
    const name = spoolName(Date.now(), 1, sendOptions?.messageId ?? randomUUID());
    const temp = join(dirs.tmp, `${name}.${randomUUID()}`);
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(envelope);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, join(dirs.incoming, name));
      await syncDirectory(dirs.incoming);
    } catch (cause) {
      await unlink(temp).catch(() => undefined);
      io('write')(cause);
    }
  }

  const sender: TransportSender = {
    maxEnvelopeBytes,
    // Each file is written and synced on its own; a batch only groups the progress reports.
    batchSize: 10,
    send,
    async sendBatch(items) {
      for (const item of items) await send(item.envelope, item.options);
    },
    close: async () => undefined,
  };

  let running = false;
  let stopping: Promise<void> | undefined;
  let loop: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();

  /** Moves a claimed or foreign entry to `dead/`, its reason beside it (written first: a crash in between leaves the entry where it was). */
  async function deadLetter(from: string, name: string, error: SealpostError, attempt: number): Promise<void> {
    await writeFile(join(dirs.dead, `${name}.reason.json`), `${JSON.stringify({ code: error.code, reason: error.message, at: new Date().toISOString(), attempt })}\n`);
    await rename(from, join(dirs.dead, name));
  }

  /** Reads a claimed file, refusing (permanently) what is not a regular file or is too large, before reading it. */
  async function readClaimed(path: string): Promise<Buffer> {
    const handle = await open(path, 'r').catch((cause: unknown) => {
      if ((cause as NodeJS.ErrnoException).code === 'EISDIR') throw new SealpostError('FORMAT_INVALID', 'the spool entry is a directory, not an envelope file');
      throw cause;
    });
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new SealpostError('FORMAT_INVALID', 'the spool entry is not a regular file');
      if (stats.size > maxEnvelopeBytes) throw new SealpostError('MESSAGE_TOO_LARGE', `the spool file holds ${stats.size} bytes, more than the limit of ${maxEnvelopeBytes}`);
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  }

  async function processFile(name: string, handler: MessageHandler): Promise<void> {
    const claimed = join(dirs.processing, name);
    try {
      await rename(join(dirs.incoming, name), claimed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // another worker took it
      throw error;
    }
    const meta = parseSpoolName(name)!;
    let envelope: Buffer;
    try {
      envelope = await readClaimed(claimed);
    } catch (error) {
      if (!isSealpostError(error)) throw error;
      await deadLetter(claimed, name, error, meta.attempt);
      options.events?.onDeadLettered?.({ envelope: new Uint8Array(0), transportId: name, attempt: meta.attempt }, error);
      return;
    }
    const delivery: Delivery = { envelope, transportId: name, attempt: meta.attempt };
    options.events?.onReceived?.(delivery);
    try {
      await handler(delivery);
      await unlink(claimed);
      options.events?.onAcked?.(delivery);
    } catch (error) {
      if (isSealpostError(error) && !error.transient) {
        await deadLetter(claimed, name, error, meta.attempt);
        options.events?.onDeadLettered?.(delivery, error);
      } else {
        const delay = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** (meta.attempt - 1));
        await rename(claimed, join(dirs.incoming, spoolName(Date.now() + delay, meta.attempt + 1, meta.id)));
        options.events?.onRetried?.(delivery, error, delay);
      }
    }
  }

  /** An entry of `incoming/` that no sender of this spool wrote: dead-lettered once, never ignored. */
  async function refuseForeign(name: string): Promise<void> {
    const error = new SealpostError('FORMAT_INVALID', `the spool entry ${JSON.stringify(name)} does not match <15-digit due time>-<attempt>-<id>${SUFFIX}; senders write to tmp/ and rename into incoming/`);
    try {
      await deadLetter(join(dirs.incoming, name), name, error, 1);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return; // gone meanwhile
      throw cause;
    }
    options.events?.onDeadLettered?.({ envelope: new Uint8Array(0), transportId: name, attempt: 1 }, error);
  }

  async function poll(handler: MessageHandler): Promise<void> {
    while (running) {
      let names: string[] = [];
      try {
        names = (await readdir(dirs.incoming)).sort();
      } catch (error) {
        options.events?.onError?.(error);
      }
      const now = Date.now();
      for (const name of names) {
        if (!running) break;
        const meta = parseSpoolName(name);
        if (meta && meta.notBefore > now) continue;
        while (inFlight.size >= concurrency && running) await Promise.race(inFlight);
        if (!running) break;
        const task = (meta ? processFile(name, handler) : refuseForeign(name)).catch((error: unknown) => options.events?.onError?.(error));
        inFlight.add(task);
        void task.finally(() => inFlight.delete(task));
      }
      await sleep(pollIntervalMs);
    }
  }

  const consumer: TransportConsumer = {
    async start(handler) {
      if (running) throw new SealpostError('CONFIG_INVALID', 'the spool consumer is already running');
      await prepare().catch(io('create directories'));
      for (const name of await readdir(dirs.processing)) {
        if (name.endsWith(SUFFIX)) await rename(join(dirs.processing, name), join(dirs.incoming, name)).catch(() => undefined);
      }
      running = true;
      loop = poll(handler);
    },
    stop(deadlineMs = 30_000) {
      stopping ??= (async () => {
        running = false;
        await loop;
        await Promise.race([Promise.all(inFlight), sleep(deadlineMs, undefined, { ref: false })]);
      })();
      return stopping;
    },
  };
  return { sender, consumer };
}
