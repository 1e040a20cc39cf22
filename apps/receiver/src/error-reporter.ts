import { isSealpostError } from '@sealpost/envelope';
import type { Logger } from 'pino';

/** Reports repeated failures of one source (a transport's connection) without flooding the log. */
export interface ErrorReporter {
  report(error: unknown): void;
  /** The source works again: the next failure is reported at once. */
  recovered(): void;
}

/**
 * Logs the first failure at once, then at most one line per window — the window doubling from
 * 1 s to 60 s while failures go on — with how many were left out. One line each: code and
 * reason, no stack trace (an outage is not a bug).
 */
export function createErrorReporter(logger: Logger, message: string): ErrorReporter {
  let windowMs = 1000;
  let nextAt = 0;
  let suppressed = 0;
  return {
    report(error) {
      const now = Date.now();
      if (now < nextAt) {
        suppressed++;
        return;
      }
      const code = isSealpostError(error) ? error.code : ((error as { code?: unknown })?.code ?? 'UNKNOWN');
      logger.error({ code, reason: (error as Error)?.message ?? String(error), ...(suppressed > 0 ? { suppressed } : {}), nextReportInMs: windowMs }, message);
      suppressed = 0;
      nextAt = now + windowMs;
      windowMs = Math.min(60_000, windowMs * 2);
    },
    recovered() {
      windowMs = 1000;
      nextAt = 0;
      suppressed = 0;
    },
  };
}
