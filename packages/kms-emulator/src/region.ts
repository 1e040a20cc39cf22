// SigV4 puts the region in the credential scope: Credential=AKID/20250101/eu-west-1/kms/aws4_request.
const CREDENTIAL_SCOPE = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/kms\/aws4_request/;

/**
 * The region a request was signed for, read (not verified) from its SigV4 `Authorization` header;
 * `fallback` when the request is unsigned or signed for another service.
 */
export function requestRegion(authorization: string | undefined, fallback: string): string {
  return (authorization && CREDENTIAL_SCOPE.exec(authorization)?.[1]) || fallback;
}
