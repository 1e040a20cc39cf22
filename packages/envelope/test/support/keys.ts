import {
  createLocalKeyUnwrapper,
  createLocalKeyWrapper,
  createLocalSigner,
  createLocalTrustedSender,
  createOpener,
  createSealer,
  createTrustStore,
  generateLocalKeyPair,
  type LocalKeyPair,
  type LocalKeyType,
  type OpenerOptions,
  type SealerOptions,
} from '../../src/index.ts';

const pairs = new Map<string, Promise<LocalKeyPair>>();

/** A key pair of `type`, generated once per test file and `slot` (RSA-4096 keygen is slow). */
export function keyPair(type: LocalKeyType, slot = 0): Promise<LocalKeyPair> {
  const key = `${type}#${slot}`;
  let pair = pairs.get(key);
  if (!pair) {
    pair = generateLocalKeyPair(type);
    pairs.set(key, pair);
  }
  return pair;
}

/** A sealer from sender to recipients, and an opener for each recipient trusting the sender. */
export async function parties(
  senderType: LocalKeyType = 'ec-p256',
  recipientTypes: LocalKeyType[] = ['rsa-2048'],
  sealOptions: Partial<SealerOptions> = {},
  openOptions: Partial<OpenerOptions> = {},
) {
  const sender = await keyPair(senderType);
  const recipients = await Promise.all(recipientTypes.map((t, i) => keyPair(t, i)));
  const sealer = createSealer({
    signer: createLocalSigner(sender.privateKeyPem),
    recipients: recipients.map((r) => createLocalKeyWrapper(r.publicKeyPem)),
    ...sealOptions,
  });
  const trust = createTrustStore([createLocalTrustedSender(sender.publicKeyPem)]);
  const openers = recipients.map((r) => createOpener({ keys: createLocalKeyUnwrapper(r.privateKeyPem), trust, ...openOptions }));
  return { sender, recipients, sealer, trust, openers, opener: openers[0]! };
}

/** Resolves to the SealpostError code a promise rejects with; fails if it resolves. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if ((error as Error).name !== 'SealpostError' || typeof code !== 'string') {
      throw new Error(`expected a SealpostError, got ${String(error)}`, { cause: error });
    }
    return code;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
