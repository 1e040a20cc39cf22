import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import mime from 'mime-types';
import { SealpostError, parseCertificateChain } from '@sealpost/envelope';
import { resolveAll, resolveKeyWrapper, resolveSigner } from '@sealpost/key-refs';
import type { OutgoingMessage } from '@sealpost/sender';
import { collect, parseMetadata, parseSize } from '../options.ts';
import { EXIT, createOutput, usage } from '../output.ts';

interface SendOptions {
  transport: string;
  signKey: string;
  cert?: string;
  to?: string[];
  contentType?: string;
  metadata?: string[];
  concurrency?: string;
  batchSign?: boolean;
  batchMaxMessages: string;
  batchMaxDelayMs: string;
  offload?: string;
  offloadThreshold?: string;
  json?: boolean;
}

async function filesOf(inputs: string[]): Promise<{ path: string; size: number }[]> {
  const files: { path: string; size: number }[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch((cause: unknown) => {
      throw new SealpostError('IO_ERROR', `cannot read ${input}: ${(cause as Error).message}`, { cause, transient: false });
    });
    if (info.isDirectory()) {
      for (const name of (await readdir(input)).sort()) {
        const entry = await stat(join(input, name));
        if (entry.isFile()) files.push({ path: join(input, name), size: entry.size });
      }
    } else files.push({ path: input, size: info.size });
  }
  return files;
}

/** `sealpost send`: seal files (one message each) or standard input and post them on a transport. */
export function sendCommand(): Command {
  return new Command('send')
    .description('Seal files (one message each), a directory of files, or standard input, and send them on a transport')
    .requiredOption('--transport <url>', 'spool:DIR, bullmq://HOST:PORT/QUEUE or sqs:QUEUE_URL')
    .requiredOption('--sign-key <ref>', 'sender key: EC private key PEM file, or kms:KEY')
    .option('--cert <file>', "the sender key's certificate chain, PEM: leaf first, then intermediates (carried in every envelope and signed)")
    .option('--to <ref>', 'recipient key (repeatable)', collect)
    .option('--content-type <type>', 'content type for every message (default: from each file extension)')
    .option('--metadata <key=value>', 'signed metadata for every message (repeatable)', collect)
    .option('--concurrency <n>', 'messages sealed at once (default 16; with --batch-sign, --batch-max-messages)')
    .option('--batch-sign', 'one signature (one KMS Sign) per batch of messages, each with its own inclusion proof (FORMAT.md section 15)')
    .option('--batch-max-messages <n>', 'with --batch-sign: most messages under one signature (1-65536)', '256')
    .option('--batch-max-delay-ms <ms>', 'with --batch-sign: longest a message waits for its batch to fill (0-60000)', '10')
    .option('--offload <s3-url>', 's3://BUCKET[/PREFIX]: envelopes over the threshold are streamed to S3 while sealed, the queue carries a pointer (SQS, BullMQ)')
    .option('--offload-threshold <size>', "with --offload: envelopes larger than this go to S3 (e.g. 200KiB, 1MiB), or 'always' (default: what does not fit a queue message)")
    .option('--json', 'one JSON line per message and a JSON summary')
    .argument('[inputs...]', "files or directories; '-' or nothing for standard input")
    .addHelpText('after', '\nExit code 0 when every message was sent; 4 when every failure was transient (the transport unreachable: retry later); 1 otherwise (each failure is named).\n\nExample:\n  sealpost send --transport spool:.sealpost/spool --sign-key keys/sender.pem --to keys/receiver.pub.pem outbox/\n  sealpost send --batch-sign --transport spool:.sealpost/spool --sign-key kms:alias/sealpost-sender --to keys/receiver.pub.pem outbox/\n  sealpost send --transport spool:.sealpost/spool --sign-key keys/sender.pem --cert sender.crt --to keys/receiver.pub.pem outbox/\n  sealpost send --transport sqs:https://sqs.eu-north-1.amazonaws.com/111122223333/inbox --offload s3://inbox-large/sealpost/ --sign-key keys/sender.pem --to keys/receiver.pub.pem big.iso')
    .action(async (inputs: string[], options: SendOptions) => {
      if (!options.to?.length) throw usage('at least one --to recipient is required');
      const maxMessages = Number(options.batchMaxMessages);
      const maxDelayMs = Number(options.batchMaxDelayMs);
      if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > 65_536) throw usage('--batch-max-messages must be between 1 and 65536');
      if (!Number.isInteger(maxDelayMs) || maxDelayMs < 0 || maxDelayMs > 60_000) throw usage('--batch-max-delay-ms must be between 0 and 60000');
      const concurrency = Number(options.concurrency ?? (options.batchSign ? maxMessages : 16));
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 65_536) throw usage('--concurrency must be between 1 and 65536');
      if (options.offloadThreshold !== undefined && !options.offload) throw usage('--offload-threshold needs --offload');
      const threshold = options.offloadThreshold === undefined ? undefined : /^always$/i.test(options.offloadThreshold) ? ('always' as const) : parseSize(options.offloadThreshold, '--offload-threshold');
      const out = createOutput(Boolean(options.json));
      const metadata = parseMetadata(options.metadata);
      const [signer, recipients, certificates] = await Promise.all([
        resolveSigner(options.signKey),
        resolveAll(options.to, resolveKeyWrapper),
        options.cert === undefined ? [] : readFile(options.cert).then(parseCertificateChain),
      ]);
      // Loaded here, not at start: the queue clients are heavy and only `send` needs them.
      const [{ openTransport, createS3Offload, parseOffloadLocation }, { createSender }, { default: cliProgress }] = await Promise.all([import('@sealpost/transport'), import('@sealpost/sender'), import('cli-progress')]);
      const location = options.offload === undefined ? undefined : parseOffloadLocation(options.offload);
      const { sender: transport } = openTransport(options.transport);
      const offload = location ? { to: createS3Offload({ location }), ...(threshold !== undefined ? { threshold } : {}) } : undefined;
      let sender;
      try {
        sender = createSender({ signer, certificates, recipients, transport, concurrency, ...(options.batchSign ? { batchSigning: { maxMessages, maxDelayMs } } : {}), ...(offload ? { offload } : {}) });
      } catch (error) {
        offload?.to.close();
        await transport.close();
        throw error;
      }
      const offloadAt = sender.offloadThreshold;
      const started = performance.now();
      const useStdin = inputs.length === 0 || (inputs.length === 1 && inputs[0] === '-');
      const all = useStdin ? [] : await filesOf(inputs);
      // With offload, a file whose payload alone reaches the threshold is sealed straight into S3
      // (constant memory); the rest are read and sent in transport batches.
      const streamed = offloadAt === undefined ? [] : all.filter((f) => f.size >= offloadAt);
      const files = offloadAt === undefined ? all.map((f) => f.path) : all.filter((f) => f.size < offloadAt).map((f) => f.path);
      const names = useStdin ? ['payload'] : [...files, ...streamed.map((f) => f.path)];
      let bytes = 0;
      async function* messages(): AsyncGenerator<OutgoingMessage> {
        if (useStdin) {
          const chunks: Buffer[] = [];
          for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
          const payload = Buffer.concat(chunks);
          bytes += payload.length;
          yield { payload, name: 'payload', contentType: options.contentType ?? 'application/octet-stream', metadata };
          return;
        }
        for (const file of files) {
          const payload = await readFile(file);
          bytes += payload.length;
          yield { payload, name: basename(file), contentType: options.contentType ?? (mime.lookup(file) || 'application/octet-stream'), metadata };
        }
      }
      // A progress bar with rate and ETA for people at a terminal; plain output otherwise.
      const bar = !options.json && process.stderr.isTTY && names.length > 1
        ? new cliProgress.SingleBar({ format: 'sending [{bar}] {value}/{total} messages | {rate} msg/s | ETA {eta}s', stream: process.stderr }, cliProgress.Presets.shades_classic)
        : undefined;
      bar?.start(names.length, 0, { rate: 0 });
      let results;
      try {
        const progress = (done: number) => bar?.update(done, { rate: Math.round(done / Math.max((performance.now() - started) / 1000, 0.001)) });
        results = files.length > 0 || useStdin ? await sender.sendMany(messages(), progress) : [];
        for (const file of streamed) {
          const messageOptions = { name: basename(file.path), contentType: options.contentType ?? (mime.lookup(file.path) || 'application/octet-stream'), metadata };
          results.push(await sender.sendFile(file.path, messageOptions).then((id) => ({ id }), (error: unknown) => ({ error: error instanceof SealpostError ? error : new SealpostError('INTERNAL_ERROR', String(error), { cause: error }) })));
          bytes += file.size;
          progress(results.length);
        }
      } finally {
        bar?.stop();
        await sender.close();
      }
      let failed = 0;
      let transient = 0;
      results.forEach((result, i) => {
        if ('error' in result) {
          failed++;
          if (result.error.transient) transient++;
          process.stderr.write(`sealpost: failed ${names[i]}: ${result.error.code}: ${result.error.message}\n`);
        } else if (options.json) {
          process.stdout.write(`${JSON.stringify({ file: names[i], id: result.id })}\n`);
        }
      });
      const seconds = (performance.now() - started) / 1000;
      const summary = { sent: results.length - failed, failed, bytes, seconds: Number(seconds.toFixed(3)), messagesPerSecond: Math.round(results.length / Math.max(seconds, 0.001)) };
      out.result(summary, `sent ${summary.sent} message(s), ${failed} failed, ${bytes} bytes in ${summary.seconds} s (${summary.messagesPerSecond} msg/s)`);
      // Every failure transient (the transport unreachable, say): retrying later may work, exit 4.
      if (failed > 0) process.exitCode = transient === failed ? EXIT.TRANSIENT : EXIT.REJECTED;
    });
}
