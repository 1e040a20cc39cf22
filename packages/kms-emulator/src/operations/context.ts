import { kmsErrors } from '../errors.ts';
import type { KeyStore } from '../store.ts';

/** What an operation runs against: the key store and the region the request was signed for. */
export interface OperationContext {
  readonly store: KeyStore;
  readonly region: string;
}

/** A parsed KMS JSON request body. */
export type KmsRequest = Readonly<Record<string, unknown>>;

/** A KMS operation: JSON request body in, JSON response body out (binary fields base64). */
export type Operation = (request: KmsRequest, context: OperationContext) => unknown;

/** Decodes a required base64 blob field, or throws ValidationException naming it. */
export function blob(request: KmsRequest, field: string): Buffer {
  const value = request[field];
  if (typeof value !== 'string' || value.length === 0) throw kmsErrors.validation(`${field} is required`);
  return Buffer.from(value, 'base64');
}

/** A string field that must be one of `allowed`; `fallback` when absent (required when no fallback). */
export function oneOf(request: KmsRequest, field: string, allowed: readonly string[], fallback?: string): string {
  const value = request[field] ?? fallback;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw kmsErrors.validation(`1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return value;
}
