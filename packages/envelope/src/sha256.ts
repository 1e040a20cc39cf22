import { hash } from 'node:crypto';

/** SHA-256 of small inputs in one call: node:crypto's one-shot hash, without a Hash object per call. */
export const sha256 = (data: Uint8Array): Buffer => Buffer.from(hash('sha256', data, 'base64'), 'base64');
