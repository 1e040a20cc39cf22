import { setTimeout as sleep } from 'node:timers/promises';
import { KmsError } from './errors.ts';

/** Faults injected into KMS calls, to exercise retry paths. All off by default. */
export interface Faults {
  /** Added to every KMS call, in ms (0 to 60000). @defaultValue 0 */
  readonly latencyMs?: number;
  /** Fraction of KMS calls (0 to 1) answered with ThrottlingException (HTTP 400, as KMS does). @defaultValue 0 */
  readonly throttleRate?: number;
  /** Throttle every Nth affected call: a deterministic alternative to the rate. 0 is off. @defaultValue 0 */
  readonly throttleEvery?: number;
  /** Fraction of KMS calls (0 to 1) answered with HTTP 500 KMSInternalException. @defaultValue 0 */
  readonly failureRate?: number;
  /** Only these operations (e.g. `['Sign']`) are affected. @defaultValue all operations */
  readonly operations?: readonly string[];
}

type ValidFaults = Required<Omit<Faults, 'operations'>> & Pick<Faults, 'operations'>;

/** Checks fault settings and fills the defaults; throws a RangeError naming the bad setting and its range. */
export function validateFaults(faults: Faults): ValidFaults {
  const within = (name: string, value: unknown, min: number, max: number, integer = false) => {
    const v = value ?? 0;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      throw new RangeError(`${name} must be ${integer ? 'an integer ' : ''}between ${min} and ${max}, got ${String(value)}`);
    }
    return v;
  };
  const { operations } = faults;
  if (operations !== undefined && (!Array.isArray(operations) || operations.some((o) => typeof o !== 'string'))) {
    throw new RangeError('operations must be an array of KMS operation names');
  }
  return {
    latencyMs: within('latencyMs', faults.latencyMs, 0, 60_000),
    throttleRate: within('throttleRate', faults.throttleRate, 0, 1),
    throttleEvery: within('throttleEvery', faults.throttleEvery, 0, 1_000_000, true),
    failureRate: within('failureRate', faults.failureRate, 0, 1),
    ...(operations ? { operations: [...operations] } : {}),
  };
}

/** Decides, call by call, which faults to inject. */
export class FaultInjector {
  #faults: ValidFaults = validateFaults({});
  #affectedCalls = 0;

  /** The settings in force. */
  get faults(): ValidFaults {
    return this.#faults;
  }

  /** Replaces the settings (validated first) and restarts the every-Nth count. */
  set(faults: Faults): void {
    this.#faults = validateFaults(faults);
    this.#affectedCalls = 0;
  }

  /** Runs the faults for one call of `operation`: waits the latency, then throws the injected error, if any. */
  async apply(operation: string): Promise<void> {
    const faults = this.#faults;
    if (faults.operations && !faults.operations.includes(operation)) return;
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    this.#affectedCalls++;
    if ((faults.throttleEvery > 0 && this.#affectedCalls % faults.throttleEvery === 0) || Math.random() < faults.throttleRate) {
      throw new KmsError('ThrottlingException', 'Rate exceeded');
    }
    if (Math.random() < faults.failureRate) throw new KmsError('KMSInternalException', 'Injected internal failure', 500);
  }
}
