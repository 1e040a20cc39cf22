import { CommanderError } from 'commander';
import { SealpostError, isSealpostError } from '@sealpost/envelope';

/** Process exit codes, stable for scripts. */
export const EXIT = {
  /** Success. */
  OK: 0,
  /** The message was rejected: a verification or format failure (any permanent error from open). */
  REJECTED: 1,
  /** Usage or configuration error: bad flags, unreadable or unsuitable keys. */
  USAGE: 2,
  /** A file could not be read or written. */
  IO: 3,
  /** A transient failure (KMS, queue or store unavailable): retrying later may succeed. */
  TRANSIENT: 4,
} as const;

const USAGE_CODES = new Set(['CONFIG_INVALID', 'KEY_INVALID', 'KMS_KEY_UNUSABLE', 'KMS_ACCESS_DENIED', 'STORE_NOT_FOUND']);

/** The exit code for an error. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return EXIT.USAGE;
  if (!isSealpostError(error)) return EXIT.IO;
  if (error.transient) return EXIT.TRANSIENT;
  if (USAGE_CODES.has(error.code)) return EXIT.USAGE;
  if (error.code === 'IO_ERROR') return EXIT.IO;
  return EXIT.REJECTED;
}

/** Where a command writes what it reports. */
export interface Output {
  readonly json: boolean;
  /** Reports a result: a JSON object on stdout with --json, else human lines. */
  result(value: Record<string, unknown>, human: string): void;
  /** A progress line for humans (stderr), silent with --json. */
  info(line: string): void;
}

/**
 * Output for a command run with or without --json. Results (human lines or one JSON object) go
 * to stdout, unless stdout carries data (`--out -`): then they go to stderr.
 */
export function createOutput(json: boolean, stdoutIsData = false): Output {
  return {
    json,
    result(value, human) {
      (stdoutIsData ? process.stderr : process.stdout).write(`${json ? JSON.stringify(value) : human}\n`);
    },
    info(line) {
      if (!json) process.stderr.write(`${line}\n`);
    },
  };
}

/** Prints an error the way scripts and people expect, and returns the exit code. */
export function reportError(error: unknown, json: boolean): number {
  const code = exitCodeFor(error);
  const sealpost = isSealpostError(error) ? error : undefined;
  // Anything untyped that reaches here is a file system error (its message names the path).
  const typed = sealpost ?? new SealpostError('IO_ERROR', (error as Error)?.message ?? String(error), { cause: error, transient: false });
  if (json) {
    process.stderr.write(`${JSON.stringify({ error: typed.toJSON() })}\n`);
  } else {
    const kind = code === EXIT.REJECTED ? 'rejected: ' : code === EXIT.TRANSIENT ? 'temporarily failed (retry later): ' : '';
    process.stderr.write(`sealpost: ${kind}${typed.code}: ${typed.message}\n`);
  }
  return code;
}

/** A usage error with a clear message. */
export function usage(message: string): SealpostError {
  return new SealpostError('CONFIG_INVALID', message);
}
