import { readFileSync } from 'node:fs';
import { SealpostError, isSealpostError } from '@sealpost/envelope';

/**
 * The receiver's version, from its package.json (beside `src/` and `dist/` alike); 'unknown'
 * where there is none (bundled into a single file).
 */
export function receiverVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const SECRET_PARAMETERS = /^(password|passwd|pass|secret|token|sslpassword|sslkey)$/i;

/**
 * A transport or store URL fit for logs: the password of `user:password@` and secret-looking
 * query parameters are replaced by `***`. A URL that does not parse is returned without its
 * user-info part.
 */
export function redactUrl(url: string): string {
  // The sqs: scheme wraps a second URL; redact that one.
  const inner = /^(sqs:)(.*)$/.exec(url);
  if (inner) return `${inner[1]}${redactUrl(inner[2]!)}`;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) if (SECRET_PARAMETERS.test(key)) parsed.searchParams.set(key, '***');
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/**
 * Re-throws a start-up failure naming the setting it came from (`store (SEALPOST_STORE) URL: ...`),
 * with its code and transience unchanged.
 */
export function naming(setting: string, url: string): (error: unknown) => never {
  return (error) => {
    const inner = isSealpostError(error) ? error : new SealpostError('INTERNAL_ERROR', (error as Error)?.message ?? String(error), { cause: error });
    throw new SealpostError(inner.code, `${setting} ${redactUrl(url)}: ${inner.message}`, { cause: error, transient: inner.transient });
  };
}
