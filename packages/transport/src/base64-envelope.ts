import { SealpostError } from '@sealpost/envelope';

/** The most base64 characters an envelope of `maxEnvelopeBytes` can take (padded). */
export function maxBase64Length(maxEnvelopeBytes: number): number {
  return Math.ceil(maxEnvelopeBytes / 3) * 4;
}

/**
 * Decodes an envelope carried as base64 text (BullMQ job data, an SQS body), refusing anything
 * that is not one before a byte is decoded: not a string, longer than `maxEnvelopeBytes` allows
 * (checked on the text's length, so an oversized delivery is never decoded), or not canonical
 * padded base64. Both refusals are permanent: redelivering the same bytes cannot help.
 */
export function decodeBase64Envelope(text: unknown, maxEnvelopeBytes: number, where: string): Buffer {
  if (typeof text !== 'string') throw new SealpostError('FORMAT_INVALID', `${where} does not carry a base64 envelope (got ${text === null ? 'null' : typeof text})`);
  if (text.length > maxBase64Length(maxEnvelopeBytes)) {
    throw new SealpostError('MESSAGE_TOO_LARGE', `${where} carries ${text.length} base64 characters, more than an envelope of at most ${maxEnvelopeBytes} bytes takes`);
  }
  if (text.length % 4 !== 0) throw new SealpostError('FORMAT_INVALID', `${where} is not a base64 envelope (length ${text.length} is not a multiple of 4)`);
  const expected = (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
  if (expected > maxEnvelopeBytes) throw new SealpostError('MESSAGE_TOO_LARGE', `${where} carries ${expected} bytes, more than the limit of ${maxEnvelopeBytes}`);
  const decoded = Buffer.from(text, 'base64');
  // Node skips characters outside the alphabet; a length that does not add up means there were some.
  if (decoded.length !== expected) throw new SealpostError('FORMAT_INVALID', `${where} is not a base64 envelope`);
  return decoded;
}
