/**
 * Seal a message for a recipient and open it again, with local keys.
 *   node examples/seal-and-open.ts
 */
import {
  createLocalKeyUnwrapper,
  createLocalKeyWrapper,
  createLocalSigner,
  createLocalTrustedSender,
  createOpener,
  createSealer,
  createTrustStore,
  generateLocalKeyPair,
  isSealpostError,
} from '@sealpost/envelope';

const sender = await generateLocalKeyPair('ec-p256');
const receiver = await generateLocalKeyPair('rsa-2048');

const sealer = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [createLocalKeyWrapper(receiver.publicKeyPem)] });
const { id, envelope } = await sealer.seal(Buffer.from('{"hello":"world"}'), { name: 'hello.json', contentType: 'application/json' });
console.log(`sealed ${id}: ${envelope.length} bytes`);

const opener = createOpener({ keys: createLocalKeyUnwrapper(receiver.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(sender.publicKeyPem)]) });
const { manifest, payload } = await opener.open(envelope);
console.log(`opened ${manifest.id} from ${manifest.sender.keyId}: ${Buffer.from(payload).toString()}`);

const tampered = Buffer.from(envelope);
tampered[tampered.length - 1]! ^= 1;
try {
  await opener.open(tampered);
} catch (error) {
  if (!isSealpostError(error)) throw error;
  console.log(`tampered copy rejected: ${error.code}`);
}
