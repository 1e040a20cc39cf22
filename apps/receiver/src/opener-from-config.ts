import { combineTrustStores, createOpener, createTrustStore, type Opener } from '@sealpost/envelope';
import { resolveAll, resolveCertificateTrust, resolveKeyUnwrapper, resolveTrustedSenders } from '@sealpost/key-refs';
import type { Logger } from 'pino';
import type { ReceiverConfig } from './config.ts';
import type { ReceiverMetrics } from './metrics.ts';

/**
 * Resolves the keys (files or KMS), trusted senders and trusted CAs (with their CRLs) a
 * configuration names and builds the
 * opener with its limits, age window and data-key cache: the part the worker and the Lambda
 * function share. Fails, naming the key, when a key is unusable.
 */
export async function createOpenerFromConfig(config: ReceiverConfig, metrics: ReceiverMetrics, logger: Logger): Promise<Opener> {
  const resolveOptions = { kmsVerify: config.kmsVerify, onKmsCall: (operation: string) => metrics.kmsCalls.inc({ operation }) };
  const [keys, senders, certificateTrust] = await Promise.all([
    resolveAll(config.keys, (ref) => resolveKeyUnwrapper(ref, resolveOptions)),
    resolveAll(config.trust, (ref) => resolveTrustedSenders(ref, resolveOptions)),
    config.trustCa.length > 0 ? resolveCertificateTrust(certificateTrustRefs(config)) : undefined,
  ]);
  logger.info({ keys: keys.map((k) => k.keyId), trusted: senders.map((s) => s.keyId), trustedCas: config.trustCa, crls: config.crl }, 'keys loaded');
  const keyTrust = createTrustStore(senders);
  return createOpener({
    keys,
    trust: certificateTrust ? combineTrustStores(keyTrust, certificateTrust) : keyTrust,
    limits: { maxPayloadBytes: config.maxPayloadBytes, maxRecipients: config.maxRecipients },
    // Offloaded envelopes are opened as streams: their payload may be as large as the largest one fetched.
    streamLimits: { maxPayloadBytes: Math.max(config.maxPayloadBytes, config.offloadMaxBytes), maxRecipients: config.maxRecipients },
    maxAgeMs: config.maxAge,
    maxClockSkewMs: config.maxClockSkew ?? 0,
    dataKeyCache: config.dataKeyCacheEntries > 0 ? { maxEntries: config.dataKeyCacheEntries, ttlMs: config.dataKeyCacheTtl ?? 600_000 } : false,
    statementCache: config.statementCacheEntries > 0 ? { maxEntries: config.statementCacheEntries, ttlMs: config.statementCacheTtl ?? 600_000 } : false,
  });
}

/** The settings that decide whom a receiver trusts. */
export type TrustSettings = Pick<ReceiverConfig, 'trust' | 'trustCa' | 'crl' | 'crlRefresh' | 'crlMaxStale' | 'requireSubject' | 'requireSan' | 'requireEku' | 'requirePolicy' | 'kmsVerify'>;

/** The certificate settings as key-refs takes them. */
export function certificateTrustRefs(config: TrustSettings) {
  return {
    trustCa: config.trustCa,
    crl: config.crl,
    crlFetch: { refreshMs: config.crlRefresh ?? 3_600_000, maxStaleMs: config.crlMaxStale ?? 86_400_000 },
    constraints: {
      ...(config.requireSubject ? { subject: config.requireSubject } : {}),
      ...(config.requireSan ? { subjectAltName: config.requireSan } : {}),
      ...(config.requireEku ? { extendedKeyUsage: config.requireEku } : {}),
      ...(config.requirePolicy ? { policy: config.requirePolicy } : {}),
    },
  };
}
