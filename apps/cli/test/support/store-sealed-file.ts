/**
 * `node store-sealed-file.ts STORE_URL SENDER_KEY RECEIVER_PUB RECEIVER_KEY SENDER_PUB PAYLOAD`:
 * seals PAYLOAD to a file, opens it with the streaming open and stores the verified payload file
 * with `putFile`, as a receiver does with a large message, in the blob location SEALPOST_BLOB_STORE
 * when set; prints `{ id, result }` as JSON.
 */
import { readFile, rm } from 'node:fs/promises';
import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createSealer, createTrustStore } from '@sealpost/envelope';
import { openStore, toStoredFields } from '@sealpost/store';

const [storeUrl, senderKey, receiverPub, receiverKey, senderPub, payload] = process.argv.slice(2) as [string, string, string, string, string, string];
const sealer = createSealer({ signer: createLocalSigner(await readFile(senderKey, 'utf8')), recipients: [createLocalKeyWrapper(await readFile(receiverPub, 'utf8'))] });
const opener = createOpener({ keys: createLocalKeyUnwrapper(await readFile(receiverKey, 'utf8')), trust: createTrustStore([createLocalTrustedSender(await readFile(senderPub, 'utf8'))]) });
const envelope = `${payload}.enc`;
const opened = `${payload}.opened`;
await sealer.sealFile(payload, envelope, { name: 'payload.bin', contentType: 'application/octet-stream' });
const verified = await opener.openFile(envelope, { payloadPath: opened });
const blobs = process.env.SEALPOST_BLOB_STORE;
const store = openStore(storeUrl, blobs ? { blobs } : {});
await store.init();
const result = await store.putFile(toStoredFields(verified, new Date()), opened);
await store.close();
await rm(opened);
await rm(envelope);
process.stdout.write(`${JSON.stringify({ id: verified.manifest.id, result})}\n`);
