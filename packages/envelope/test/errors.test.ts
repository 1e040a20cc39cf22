import { describe, expect, it } from 'vitest';
import { SealpostError, isSealpostError, needs } from '../src/errors.ts';

describe('SealpostError', () => {
  it('derives transient from the code', () => {
    expect(new SealpostError('KMS_THROTTLED').transient).toBe(true);
    expect(new SealpostError('SIGNATURE_INVALID').transient).toBe(false);
  });
  it('lets the caller override transient and keeps the cause', () => {
    const cause = new Error('socket hang up');
    const error = new SealpostError('IO_ERROR', 'disk full', { transient: false, cause });
    expect(error.transient).toBe(false);
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toEqual({ code: 'IO_ERROR', message: 'disk full', transient: false });
  });
  it('needs throws the coded error when the condition fails', () => {
    expect(() => needs(false, 'LIMIT_EXCEEDED', 'too many recipients')).toThrowError(/too many recipients/);
    expect(() => needs(true, 'LIMIT_EXCEEDED')).not.toThrow();
    try {
      needs(0, 'FORMAT_MAGIC');
    } catch (error) {
      expect(isSealpostError(error, 'FORMAT_MAGIC')).toBe(true);
      expect(isSealpostError(error, 'FORMAT_VERSION')).toBe(false);
    }
  });
});
