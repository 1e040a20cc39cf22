import type { SealpostError } from '@sealpost/envelope';
import type { Delivery } from './types.ts';

/** Hooks to observe a transport (logs, metrics); every one is optional. */
export interface TransportEvents {
  onReceived?(delivery: Delivery): void;
  onAcked?(delivery: Delivery): void;
  onRetried?(delivery: Delivery, error: unknown, delayMs: number): void;
  onDeadLettered?(delivery: Delivery, error: SealpostError): void;
  /** Failures of the transport itself (not of a handler). */
  onError?(error: unknown): void;
}
