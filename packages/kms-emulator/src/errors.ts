/**
 * An error answered the way AWS KMS answers it: HTTP 400 (500 for internal failures) with a JSON
 * body `{"__type": type, "message": ...}` and the `x-amzn-ErrorType` header, from which the AWS
 * SDK builds its named exception classes.
 */
export class KmsError extends Error {
  /** The KMS exception name, e.g. `NotFoundException`. */
  readonly type: string;
  /** HTTP status of the answer. */
  readonly status: number;

  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = status;
  }
}

/** Shorthands for the errors KMS returns most, with the messages KMS uses. */
export const kmsErrors = {
  notFound: (id: string) => new KmsError('NotFoundException', `Key '${id}' does not exist`),
  invalidArn: (arn: string) => new KmsError('InvalidArnException', `ARN ${arn} is not a valid KMS ARN`),
  validation: (message: string) => new KmsError('ValidationException', message),
  invalidState: (arn: string, state: string) => new KmsError('KMSInvalidStateException', `${arn} is ${state}`),
  disabled: (arn: string) => new KmsError('DisabledException', `${arn} is disabled.`),
  invalidUsage: (message: string) => new KmsError('InvalidKeyUsageException', message),
  unsupported: (message: string) => new KmsError('UnsupportedOperationException', message),
  // KMS says nothing about why a ciphertext is rejected: no oracle.
  invalidCiphertext: () => new KmsError('InvalidCiphertextException', ''),
};
