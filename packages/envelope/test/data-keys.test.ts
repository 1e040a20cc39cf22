import { describe, expect, it } from 'vitest';
import { parseHeader } from '../src/format/header.ts';
import { DEFAULT_LIMITS } from '../src/limits.ts';
import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createSealer, createTrustStore, type KeyUnwrapper, type KeyWrapper } from '../src/index.ts';
import { codeOf, keyPair } from './support/keys.ts';

function countingWrapper(inner: KeyWrapper) {
  const counter = { calls: 0 };
  const wrapper: KeyWrapper = { keyId: inner.keyId, algorithm: inner.algorithm, wrap: (key) => (counter.calls++, inner.wrap(key)) };
  return { wrapper, counter };
}

function countingUnwrapper(inner: KeyUnwrapper, failFirst = 0) {
  const counter = { calls: 0 };
  const unwrapper: KeyUnwrapper = {
    keyId: inner.keyId,
    algorithm: inner.algorithm,
    unwrap: async (wrapped) => {
      counter.calls++;
      if (counter.calls <= failFirst) throw Object.assign(new Error('backend down'), {});
      return inner.unwrap(wrapped);
    },
  };
  return { unwrapper, counter };
}

describe('data-key reuse and the receiver cache', () => {
  it('the sender wraps once per maxMessages and still uses a fresh salt per message', async () => {
    const sender = await keyPair('ec-p256');
    const receiver = await keyPair('rsa-2048');
    const { wrapper, counter } = countingWrapper(createLocalKeyWrapper(receiver.publicKeyPem));
    const sealer = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [wrapper], dataKeyReuse: { maxMessages: 3 } });
    const envelopes = await Promise.all(Array.from({ length: 7 }, () => sealer.seal(Buffer.from('m'))));
    expect(counter.calls).toBe(3);
    const headers = envelopes.map((e) => parseHeader(e.envelope, DEFAULT_LIMITS).header);
    expect(new Set(headers.map((h) => Buffer.from(h.salt).toString('hex'))).size).toBe(7);
    expect(new Set(headers.map((h) => Buffer.from(h.recipients[0]!.wrappedKey).toString('hex'))).size).toBe(3);

    const single = countingWrapper(createLocalKeyWrapper(receiver.publicKeyPem));
    const perMessage = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [single.wrapper] });
    await Promise.all(Array.from({ length: 4 }, () => perMessage.seal(Buffer.from('m'))));
    expect(single.counter.calls).toBe(4);

    const aged = countingWrapper(createLocalKeyWrapper(receiver.publicKeyPem));
    const byAge = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [aged.wrapper], dataKeyReuse: { maxAgeMs: 1 } });
    await byAge.seal(Buffer.from('a'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    await byAge.seal(Buffer.from('b'));
    expect(aged.counter.calls).toBe(2);
  });

  it('the receiver unwraps once for many messages, shares concurrent unwraps, and does not cache failures', async () => {
    const sender = await keyPair('ec-p256');
    const receiver = await keyPair('rsa-2048');
    const trust = createTrustStore([createLocalTrustedSender(sender.publicKeyPem)]);
    const sealer = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [createLocalKeyWrapper(receiver.publicKeyPem)], dataKeyReuse: true });
    const envelopes = await Promise.all(Array.from({ length: 20 }, () => sealer.seal(Buffer.from('m'))));
    const { unwrapper, counter } = countingUnwrapper(createLocalKeyUnwrapper(receiver.privateKeyPem), 1);
    const opener = createOpener({ keys: unwrapper, trust });
    expect(await codeOf(opener.open(envelopes[0]!.envelope))).toBe('UNWRAP_FAILED');
    await Promise.all(envelopes.map((e) => opener.open(e.envelope)));
    expect(counter.calls).toBe(2);

    const uncached = countingUnwrapper(createLocalKeyUnwrapper(receiver.privateKeyPem));
    const noCache = createOpener({ keys: uncached.unwrapper, trust, dataKeyCache: false });
    await Promise.all(envelopes.slice(0, 5).map((e) => noCache.open(e.envelope)));
    expect(uncached.counter.calls).toBe(5);
  });

  it('the cache is bounded: evicted keys are unwrapped again', async () => {
    const sender = await keyPair('ec-p256');
    const receiver = await keyPair('rsa-2048');
    const trust = createTrustStore([createLocalTrustedSender(sender.publicKeyPem)]);
    const sealer = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [createLocalKeyWrapper(receiver.publicKeyPem)] });
    const a = await sealer.seal(Buffer.from('a'));
    const b = await sealer.seal(Buffer.from('b'));
    const { unwrapper, counter } = countingUnwrapper(createLocalKeyUnwrapper(receiver.privateKeyPem));
    const opener = createOpener({ keys: unwrapper, trust, dataKeyCache: { maxEntries: 1 } });
    for (const envelope of [a, b, a, a]) await opener.open(envelope.envelope);
    expect(counter.calls).toBe(3);
  });
});
