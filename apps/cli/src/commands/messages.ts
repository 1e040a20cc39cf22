import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Command } from 'commander';
import { AtomicFile, DEFAULT_LIMITS, SealpostError, checkCertificateBinding, combineTrustStores, createTrustStore, decodeEvidence, decodeManifest, describeCertificate, verifySignedBy } from '@sealpost/envelope';
import { resolveAll, resolveCertificateTrust, resolveTrustedSenders } from '@sealpost/key-refs';
import type { MessageStore } from '@sealpost/store';
import { assertWritable } from '../files.ts';
import { collect } from '../options.ts';
import { createOutput, usage } from '../output.ts';

const DEFAULT_STORE = 'sqlite:.sealpost/messages.db';

/** Where the store's large payloads are: `--blobs`, else SEALPOST_BLOB_STORE, else the store's default. */
interface StoreOptions {
  readonly store: string;
  readonly blobs?: string;
}

async function withStore<T>(options: StoreOptions, work: (store: MessageStore) => Promise<T>): Promise<T> {
  // Loaded here, not at start: the database clients are heavy and only `messages` needs them.
  const { openStore } = await import('@sealpost/store');
  const blobs = options.blobs ?? (process.env.SEALPOST_BLOB_STORE || undefined);
  const store = openStore(options.store, blobs ? { blobs } : {});
  try {
    // Read-only: a mistyped store is STORE_NOT_FOUND, never a new empty one.
    await store.init({ create: false });
    return await work(store);
  } finally {
    await store.close();
  }
}

async function mustHead(store: MessageStore, id: string) {
  const message = await store.head(id);
  if (!message) throw new SealpostError('CONFIG_INVALID', `no message ${id} in the store`);
  return message;
}

async function mustOpenPayload(store: MessageStore, id: string): Promise<Readable> {
  const stream = await store.openPayload(id);
  if (!stream) throw new SealpostError('CONFIG_INVALID', `no message ${id} in the store`);
  return stream;
}

/** Copies a payload stream to standard output with backpressure (standard output is never closed). */
async function toStdout(stream: Readable): Promise<void> {
  for await (const chunk of stream) if (!process.stdout.write(chunk as Uint8Array)) await once(process.stdout, 'drain');
}

const storeOption = ['--store <url>', 'sqlite:FILE, postgres://..., redis://... or dynamodb://TABLE', DEFAULT_STORE] as const;
const blobsOption = ['--blobs <location>', "where the store keeps large payloads: dir:PATH or s3://BUCKET[/PREFIX] (default: SEALPOST_BLOB_STORE, else blobs/ beside a SQLite file; S3 references are read from the row)"] as const;

/** `sealpost messages ...`: look into a message store. */
export function messagesCommand(): Command {
  const messages = new Command('messages').description('Look into a message store: list, show, re-verify and export stored messages');
  messages.addCommand(
    new Command('list')
      .description('List stored messages, oldest first')
      .option(...storeOption)
      .option('--limit <n>', 'at most this many', '100')
      .option('--after <id>', 'only messages after this id (paging)')
      .option('--json', 'one JSON object per line')
      .option(...blobsOption)
      .action(async (options: StoreOptions & { limit: string; after?: string; json?: boolean }) => {
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw usage('--limit must be between 1 and 100000');
        const rows = await withStore(options, (store) => store.list({ limit, ...(options.after ? { after: options.after } : {}) }));
        for (const m of rows) {
          if (options.json) process.stdout.write(`${JSON.stringify({ ...m, payloadSha256: Buffer.from(m.payloadSha256).toString('hex') })}\n`);
          else process.stdout.write(`${m.id}  ${m.createdAt.toISOString()}  ${m.payloadName.padEnd(20)} ${m.contentType.padEnd(24)} ${String(m.size).padStart(10)}  from ${m.senderSubject ?? m.senderKeyId}\n`);
        }
        if (!options.json) process.stderr.write(`${rows.length} message(s)\n`);
      })
      .exitOverride(),
  );
  messages.addCommand(
    new Command('show')
      .description('Show one stored message (metadata; the payload too with --payload)')
      .argument('<id>')
      .option(...storeOption)
      .option(...blobsOption)
      .option('--payload', 'print the payload to standard output instead (streamed; a payload whose stored bytes do not match their digest fails with STORE_CORRUPT at the end)')
      .option('--json', 'print as JSON')
      .action(async (id: string, options: StoreOptions & { payload?: boolean; json?: boolean }) => {
        if (options.payload) {
          await withStore(options, async (store) => toStdout(await mustOpenPayload(store, id)));
          return;
        }
        const m = await withStore(options, (store) => mustHead(store, id));
        const chain = m.certificates.map((der) => describeCertificate(der));
        const certified = chain.length > 0 ? { senderSubject: m.senderSubject ?? chain[0]!.subject, senderCertificate: m.senderCertificate ?? chain[0]!.fingerprint, chain: chain.map((c) => ({ subject: c.subject, issuer: c.issuer, fingerprint: c.fingerprint, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString() })) } : {};
        const summary = { id: m.id, sender: m.senderKeyId, ...certified, algorithm: m.senderAlgorithm, recipients: m.recipients, created: m.createdAt.toISOString(), received: m.receivedAt.toISOString(), name: m.payloadName, contentType: m.contentType, size: m.size, sha256: Buffer.from(m.payloadSha256).toString('hex'), ...(m.payloadRef ? { payloadRef: m.payloadRef } : {}), metadata: m.metadata };
        createOutput(Boolean(options.json)).result(summary, Object.entries(summary).map(([k, v]) => `${k.padEnd(11)} ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n'));
      })
      .exitOverride(),
  );
  messages.addCommand(
    new Command('verify')
      .description('Re-verify a stored message from its stored manifest and signature (or batch statement and proof) alone: evidence that stands up later')
      .argument('<id>')
      .option(...storeOption)
      .option('--trust <ref>', 'trusted sender key (repeatable): public key file, directory, or kms:KEY', collect)
      .option('--trust-ca <file>', 'trusted CA certificate (PEM): re-verify the stored chain as of the message creation time (repeatable)', collect)
      .option('--crl <file|url>', 'certificate revocation list for --trust-ca (repeatable)', collect)
      .option(...blobsOption)
      .option('--json', 'print the result as JSON')
      .addHelpText('after', '\nExit code 0 when the signature, the sender (key or certificate chain) and the payload digest verify, 1 when they do not.')
      .action(async (id: string, options: StoreOptions & { trust?: string[]; trustCa?: string[]; crl?: string[]; json?: boolean }) => {
        if (!options.trust?.length && !options.trustCa?.length) throw usage('at least one --trust sender or --trust-ca certificate is required');
        const [senders, certificateTrust] = await Promise.all([
          resolveAll(options.trust ?? [], resolveTrustedSenders),
          options.trustCa?.length ? resolveCertificateTrust({ trustCa: options.trustCa, crl: options.crl ?? [] }) : undefined,
        ]);
        const trust = certificateTrust ? combineTrustStores(createTrustStore(senders), certificateTrust) : createTrustStore(senders);
        // The payload is hashed as it streams (from its row or its blob), in constant memory.
        const { m, digest, size } = await withStore(options, async (store) => {
          const head = await mustHead(store, id);
          const hash = createHash('sha256');
          let count = 0;
          for await (const chunk of await mustOpenPayload(store, id)) {
            hash.update(chunk as Uint8Array);
            count += (chunk as Uint8Array).length;
          }
          return { m: head, digest: hash.digest(), size: count };
        });
        const manifest = decodeManifest(m.manifest, { ...DEFAULT_LIMITS, maxPayloadBytes: Number.MAX_SAFE_INTEGER });
        if (manifest.id !== m.id) throw new SealpostError('MANIFEST_INVALID', 'the stored manifest belongs to another message');
        checkCertificateBinding(manifest, m.certificates);
        const sender = await trust.sender(manifest.sender.keyId, { certificates: m.certificates, created: manifest.created });
        if (!sender) throw new SealpostError('UNTRUSTED_SENDER', `sender key ${manifest.sender.keyId} is not among the --trust keys and has no certificate chain`);
        if (sender.algorithm !== manifest.sender.algorithm) throw new SealpostError('ALGORITHM_MISMATCH');
        await verifySignedBy(sender, manifest, m.manifest, m.signature);
        if (size !== manifest.payload.size || !timingSafeEqual(digest, manifest.payload.sha256)) throw new SealpostError('PAYLOAD_MISMATCH', 'the stored payload differs from the signed digest');
        createOutput(Boolean(options.json)).result(
          { id: m.id, verified: true, sender: sender.keyId, ...(sender.certificate ? { senderSubject: sender.certificate.subject, senderCertificate: sender.certificate.fingerprint } : {}), algorithm: sender.algorithm, created: manifest.created.toISOString(), sha256: digest.toString('hex') },
          `message ${m.id} verified: signed by ${sender.keyId}${sender.certificate ? ` (certified as ${sender.certificate.subject}, chain valid at that time)` : ''} (${sender.algorithm}) at ${manifest.created.toISOString()}; payload digest matches`,
        );
      })
      .exitOverride(),
  );
  messages.addCommand(
    new Command('export')
      .description('Write a stored message to files: the payload, and optionally the signed manifest and signature')
      .argument('<id>')
      .requiredOption('--out <file>', 'payload file')
      .option(...storeOption)
      .option(...blobsOption)
      .option('--evidence <prefix>', 'also write <prefix>.manifest.cbor and <prefix>.manifest.sig (or for a batch-signed message <prefix>.statement.cbor, <prefix>.statement.sig and <prefix>.proof.cbor; checkable with openssl dgst -verify) and the sender chain as <prefix>.cert-0.der, ...')
      .option('--force', 'overwrite existing files')
      .action(async (id: string, options: StoreOptions & { out: string; evidence?: string; force?: boolean }) => {
        await withStore(options, async (store) => {
          const m = await mustHead(store, id);
          const files: [string, Uint8Array][] = [];
          if (options.evidence) {
            const { signature, batch } = decodeEvidence(m.signature);
            files.push([`${options.evidence}.manifest.cbor`, m.manifest]);
            if (batch) files.push([`${options.evidence}.statement.cbor`, batch.statement], [`${options.evidence}.statement.sig`, signature], [`${options.evidence}.proof.cbor`, batch.proof]);
            else files.push([`${options.evidence}.manifest.sig`, signature]);
            m.certificates.forEach((der, i) => files.push([`${options.evidence}.cert-${i}.der`, der]));
          }
          for (const path of [options.out, ...files.map(([p]) => p)]) await assertWritable(path, Boolean(options.force));
          // The payload streams into a temporary file, renamed onto --out only once the stream has
          // ended, that is once a blob's size and digest have been checked: constant memory, and no
          // partial or corrupt payload file is ever left at --out.
          const out = await AtomicFile.create(options.out);
          try {
            for await (const chunk of await mustOpenPayload(store, id)) await out.write(chunk as Uint8Array);
          } catch (error) {
            await out.discard();
            throw error;
          }
          await out.commit();
          for (const [path, bytes] of files) await writeFile(path, bytes);
          process.stderr.write(`wrote ${[options.out, ...files.map(([p]) => p)].join(', ')}\n`);
        });
      })
      .exitOverride(),
  );
  return messages;
}
