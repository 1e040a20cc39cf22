/**
 * Sealpost envelope format v1: sign-then-encrypt for buffers and streams.
 *
 * @example
 * ```ts
 * import { createSealer, createOpener, createLocalSigner, createLocalKeyWrapper,
 *   createLocalKeyUnwrapper, createLocalTrustedSender, createTrustStore } from '@sealpost/envelope'
 *
 * const sealer = createSealer({ signer: createLocalSigner(senderPem), recipients: [createLocalKeyWrapper(receiverPubPem)] })
 * const { envelope } = await sealer.seal(Buffer.from('hello'), { name: 'hello.txt', contentType: 'text/plain' })
 *
 * const opener = createOpener({ keys: createLocalKeyUnwrapper(receiverPem), trust: createTrustStore([createLocalTrustedSender(senderPubPem)]) })
 * const { manifest, payload } = await opener.open(envelope)
 * ```
 */
export * from './errors.ts';
export type * from './keys/types.ts';
export type * from './message.ts';
export { SIGNING_ALGORITHMS, WRAPPING_ALGORITHMS, CURVE_SIGNING_ALGORITHM, isSigningAlgorithm, isWrappingAlgorithm, signingHash } from './algorithms.ts';
export { DEFAULT_LIMITS, DEFAULT_STREAM_LIMITS, resolveLimits, type Limits } from './limits.ts';
export { DECOMPRESSION_ALLOWANCE_BYTES } from './format/gunzip.ts';
export { encodeCanonical, decodeCanonical } from './cbor.ts';
export { uuidv7, isUuidV7 } from './uuid.ts';
export { MAGIC, VERSION, DEFAULT_FRAME_SIZE, type Compression, type EnvelopeHeader, type RecipientEntry } from './format/header.ts';
export { encodeManifest, decodeManifest } from './manifest.ts';
export { MANIFEST_ENTRY, SIGNATURE_ENTRY, MAX_CERTIFICATES, certificateEntryName, STATEMENT_ENTRY, STATEMENT_SIGNATURE_ENTRY, PROOF_ENTRY, type BundleForm } from './bundle/bundle.ts';
export { leafHash, nodeHash, buildTree, rootFromProof, type MerkleTree } from './batch/tree.ts';
export { encodeStatement, decodeStatement, encodeProof, decodeProof, STATEMENT_TYPE, type BatchStatement, type InclusionProof } from './batch/statement.ts';
export { encodeEvidence, decodeEvidence } from './batch/evidence.ts';
export { createStatementCache, type StatementCache, type StatementCacheOptions } from './batch/statement-cache.ts';
export type { BatchSigningOptions } from './batch/batch-signer.ts';
export { verifyEvidence, verifySignedBy } from './verify-evidence.ts';
export { createSealer, checkMessageOptions, type Sealer, type SealerOptions, type SealMessageOptions, type SealedEnvelope } from './seal/sealer.ts';
export type { SealStreamResult, SealFileResult } from './seal/seal-stream.ts';
export { createOpener, type Opener, type OpenerOptions } from './open/opener.ts';
export type { OpenStreamDestination } from './open/open-stream.ts';
export { AtomicFile, openInputFile, discardPendingFilesSync, ioError, type InputFile } from './stream/files.ts';
export { inspect, type EnvelopeInfo } from './inspect.ts';
export { createDataKeySource, type DataKeyReuse, type DataKey, type DataKeySource } from './keys/data-key-source.ts';
export { cachingUnwrapper, type DataKeyCacheOptions } from './keys/data-key-cache.ts';
export { createTrustStore, combineTrustStores } from './keys/trust-store.ts';
export { createCertificateTrustStore, type CertificateTrustOptions } from './certs/trust-store.ts';
export { createStaticCrlSource, createUrlCrlSource, type CrlSource, type UrlCrlSourceOptions } from './certs/crl.ts';
export { parseCertificateChain, certificateDigests, checkCertificateBinding, toPem } from './certs/chain.ts';
export { describeCertificate, type CertificateDescription } from './certs/describe.ts';
export type { CertificateConstraints } from './certs/validate.ts';
export { createLocalSigner } from './keys/local/signer.ts';
export { createLocalTrustedSender } from './keys/local/trusted-sender.ts';
export { createLocalKeyWrapper } from './keys/local/wrapper.ts';
export { createLocalKeyUnwrapper } from './keys/local/unwrapper.ts';
export { generateLocalKeyPair, LOCAL_KEY_TYPES, type LocalKeyType, type LocalKeyPair } from './keys/local/generate.ts';
export { localKeyId, toPrivateKey, toPublicKey, signingAlgorithmOf, describeKey, type KeyInput } from './keys/local/key-objects.ts';
export { makeDirectory } from './stream/make-directory.ts';
export { isProcessAlive } from './stream/process-alive.ts';
export { isBucketName, parseS3Location, type S3Location } from './s3-location.ts';
export { syncDirectory } from './stream/sync-directory.ts';
export { createScavenger, scavengeWhile } from './stream/scavenge.ts';
