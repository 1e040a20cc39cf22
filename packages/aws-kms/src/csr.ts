import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo, Attributes } from '@peculiar/asn1-csr';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { SigningAlgorithm } from '@sealpost/envelope';
import type { KMSClient } from '@aws-sdk/client-kms';
import { getPublicKey } from './describe.ts';
import { createKmsSigner } from './keys.ts';
import { parseSubject } from './subject.ts';

const SIGNATURE_OIDS: Readonly<Record<SigningAlgorithm, string>> = {
  ECDSA_SHA_256: '1.2.840.10045.4.3.2',
  ECDSA_SHA_384: '1.2.840.10045.4.3.3',
  ECDSA_SHA_512: '1.2.840.10045.4.3.4',
};

/** Options for {@link createCsr}. */
export interface CsrOptions {
  readonly client: KMSClient;
  /** The KMS signing key (id, ARN or alias). */
  readonly keyId: string;
  /** The subject as an RFC 4514 string, e.g. `CN=Signer, O=MyOrg, OU=MyOrgUnit, C=SE, L=Gothenburg`. */
  readonly subject: string;
}

/**
 * A PKCS#10 certificate signing request for a KMS signing key, signed by KMS: the private key
 * never leaves KMS. Returns PEM; `openssl req -in csr.pem -noout -verify` checks it.
 *
 * @example
 * ```ts
 * const pem = await createCsr({ client, keyId: 'alias/sealpost-sender', subject: 'CN=Signer, O=MyOrg, C=SE' })
 * ```
 */
export async function createCsr({ client, keyId, subject }: CsrOptions): Promise<string> {
  const name = parseSubject(subject);
  const signer = await createKmsSigner({ client, keyId });
  const spki = (await getPublicKey(client, signer.keyId)).export({ type: 'spki', format: 'der' });
  const info = new CertificationRequestInfo({
    version: 0,
    subject: name,
    subjectPKInfo: AsnConvert.parse(spki, SubjectPublicKeyInfo),
    attributes: new Attributes(),
  });
  const infoDer = new Uint8Array(AsnConvert.serialize(info));
  const signature = await signer.sign(infoDer);
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: SIGNATURE_OIDS[signer.algorithm] }),
    signature: new Uint8Array(signature).buffer,
  });
  const der = Buffer.from(AsnConvert.serialize(request));
  return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}
