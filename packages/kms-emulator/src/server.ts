import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { KmsError } from './errors.ts';
import { FaultInjector, type Faults } from './faults.ts';
import { METERED_OPERATIONS, QuotaMeter, type QuotaKind, type Quotas } from './quotas.ts';
import { createAlias, listAliases } from './operations/aliases.ts';
import type { Operation } from './operations/context.ts';
import { decryptOperation, encryptOperation, generateDataKey } from './operations/encrypt-decrypt.ts';
import { getParametersForImport, importKeyMaterial } from './operations/import.ts';
import { createKey, describeKey, disableKey, enableKey, getPublicKey, scheduleKeyDeletion } from './operations/keys.ts';
import { signOperation, verifyOperation } from './operations/sign-verify.ts';
import { requestRegion } from './region.ts';
import { KeyStore } from './store.ts';

const OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateKey: createKey,
  DescribeKey: describeKey,
  EnableKey: enableKey,
  DisableKey: disableKey,
  ScheduleKeyDeletion: scheduleKeyDeletion,
  CreateAlias: createAlias,
  ListAliases: listAliases,
  GetPublicKey: getPublicKey,
  Sign: signOperation,
  Verify: verifyOperation,
  Encrypt: encryptOperation,
  Decrypt: decryptOperation,
  GenerateDataKey: generateDataKey,
  GetParametersForImport: getParametersForImport,
  ImportKeyMaterial: importKeyMaterial,
};

/** The KMS operations the emulator answers. */
export const SUPPORTED_OPERATIONS: readonly string[] = Object.keys(OPERATIONS);

const TARGET_PREFIX = 'TrentService.';
/** KMS requests are small (4 KiB payloads, base64 in JSON); anything much larger is refused. */
const MAX_BODY = 1024 * 1024;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new KmsError('ValidationException', `request body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function sendError(response: ServerResponse, error: KmsError): void {
  send(response, error.status, { __type: error.type, message: error.message }, { 'x-amzn-errortype': error.type });
}

/** The HTTP side of the emulator: KMS JSON 1.1 on `POST /`, control endpoints under `/__emulator/`. */
export class EmulatorServer {
  /** The keys and aliases. */
  readonly store = new KeyStore();
  /** The faults in force. */
  readonly faults = new FaultInjector();
  /** The request-rate quotas in force. */
  readonly quotas = new QuotaMeter();
  /** The HTTP server (not yet listening). */
  readonly server: Server;
  readonly #region: string;
  #calls: Record<string, number> = {};

  constructor(region: string, faults: Faults = {}, quotas: Quotas = {}) {
    this.#region = region;
    this.faults.set(faults);
    this.quotas.set(quotas);
    this.server = createServer((request, response) => {
      const handling = request.url?.startsWith('/__emulator/') ? this.#admin(request, response) : this.#kms(request, response);
      handling.catch((error: unknown) => {
        if (!response.headersSent) sendError(response, new KmsError('KMSInternalException', String(error), 500));
      });
    });
  }

  /** Calls per operation since start or the last reset, failed and throttled ones included. */
  calls(): Record<string, number> {
    return { ...this.#calls };
  }

  /** Sets every call counter back to zero. */
  resetCalls(): void {
    this.#calls = {};
  }

  async #kms(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || !target.startsWith(TARGET_PREFIX)) {
      request.resume();
      return sendError(response, new KmsError('UnknownOperationException', `expected POST with X-Amz-Target: ${TARGET_PREFIX}<Operation>`));
    }
    const name = target.slice(TARGET_PREFIX.length);
    this.#calls[name] = (this.#calls[name] ?? 0) + 1;
    try {
      const body = await readBody(request);
      await this.faults.apply(name);
      const operation = OPERATIONS[name];
      if (!operation) throw new KmsError('UnsupportedOperationException', `${name} is not supported by this emulator; supported: ${SUPPORTED_OPERATIONS.join(', ')}`);
      let parsed: unknown;
      try {
        parsed = body ? JSON.parse(body) : {};
      } catch {
        throw new KmsError('SerializationException', 'the request body is not JSON');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new KmsError('SerializationException', 'the request body is not a JSON object');
      const region = requestRegion(request.headers.authorization, this.#region);
      if (METERED_OPERATIONS.has(name)) this.#meter((parsed as Record<string, unknown>).KeyId, region);
      send(response, 200, await operation(parsed as Record<string, unknown>, { store: this.store, region }));
    } catch (error) {
      sendError(response, error instanceof KmsError ? error : new KmsError('KMSInternalException', String(error), 500));
    }
  }

  /** Counts a cryptographic request against its key type's quota; unknown keys are left to the operation to reject. */
  #meter(keyId: unknown, region: string): void {
    let kind: QuotaKind;
    try {
      const spec = this.store.find(keyId, region).spec;
      kind = spec.startsWith('ECC_') ? 'ecc' : spec.startsWith('RSA_') ? 'rsa' : 'symmetric';
    } catch {
      return;
    }
    this.quotas.take(kind);
  }

  async #admin(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const route = `${request.method} ${request.url}`;
    try {
      const body = await readBody(request);
      switch (route) {
        case 'GET /__emulator/health':
          return send(response, 200, { ok: true });
        case 'GET /__emulator/calls':
          return send(response, 200, this.calls());
        case 'POST /__emulator/reset-calls':
          this.resetCalls();
          return send(response, 200, {});
        case 'GET /__emulator/faults':
          return send(response, 200, this.faults.faults);
        case 'POST /__emulator/faults':
          this.faults.set((body ? JSON.parse(body) : {}) as Faults);
          return send(response, 200, this.faults.faults);
        case 'GET /__emulator/quotas':
          return send(response, 200, this.quotas.quotas);
        case 'POST /__emulator/quotas':
          this.quotas.set((body ? JSON.parse(body) : {}) as Quotas);
          return send(response, 200, this.quotas.quotas);
        default:
          return send(response, 404, { message: `unknown control endpoint ${route}; see GET /__emulator/health, GET /__emulator/calls, POST /__emulator/reset-calls, GET|POST /__emulator/faults, GET|POST /__emulator/quotas` });
      }
    } catch (error) {
      send(response, 400, { message: (error as Error).message });
    }
  }
}
