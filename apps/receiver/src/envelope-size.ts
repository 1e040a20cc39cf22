import { DEFAULT_LIMITS } from '@sealpost/envelope';

/**
 * The largest envelope a message with at most `maxPayloadBytes` of payload can make: the bundle
 * (payload, manifest, signature, tar framing), gzip's growth on incompressible input, the prefix
 * and header, and one GCM tag per frame at the smallest frame size (1 KiB). Deliveries larger
 * than this cannot open, so the transports refuse them before decoding.
 */
export function maxEnvelopeBytesFor(maxPayloadBytes: number): number {
  const bundle = maxPayloadBytes + DEFAULT_LIMITS.maxManifestBytes + 1024 + 6 * 512;
  const compressed = bundle + Math.ceil(bundle / 100) + 65_536;
  return 13 + DEFAULT_LIMITS.maxHeaderBytes + compressed + Math.ceil(compressed / 1024) * 16 + 16;
}
