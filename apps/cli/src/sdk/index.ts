/**
 * The Sealpost SDK in one import: the envelope format (seal and open buffers, streams and files,
 * local keys, errors), key references (`PEM file` or `kms:KEY`) and the sender library. Queues,
 * stores, the receiver and the KMS-backed keys are the subpaths `sealpost/transport`,
 * `sealpost/store`, `sealpost/receiver` and `sealpost/aws-kms`, so a program that only seals
 * does not load the AWS, Redis and PostgreSQL clients.
 *
 * @example
 * ```ts
 * import { createLocalKeyUnwrapper, createLocalKeyWrapper, createLocalSigner, createLocalTrustedSender, createOpener, createSealer, createTrustStore, generateLocalKeyPair } from 'sealpost'
 * const sender = await generateLocalKeyPair('ec-p256')
 * const receiver = await generateLocalKeyPair('rsa-2048')
 * const sealer = createSealer({ signer: createLocalSigner(sender.privateKeyPem), recipients: [createLocalKeyWrapper(receiver.publicKeyPem)] })
 * const { envelope } = await sealer.seal(Buffer.from('hello'), { name: 'hello.txt' })
 * const opener = createOpener({ keys: createLocalKeyUnwrapper(receiver.privateKeyPem), trust: createTrustStore([createLocalTrustedSender(sender.publicKeyPem)]) })
 * const { payload } = await opener.open(envelope)
 * ```
 */
export * from '@sealpost/envelope';
export * from '@sealpost/key-refs';
export * from '@sealpost/sender';
