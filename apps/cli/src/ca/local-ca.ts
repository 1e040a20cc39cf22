import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import {
  AlgorithmIdentifier,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CRLNumber,
  Certificate,
  CertificateList,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RevokedCertificate,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertList,
  TBSCertificate,
  Time,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_cRLNumber,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { parseSubject } from '@sealpost/aws-kms';
import { SealpostError } from '@sealpost/envelope';

/**
 * A local certification authority for development and tests: one P-256 key in a directory,
 * a self-signed CA certificate, leaves issued from CSRs (`kms csr` ones included), and a CRL.
 * Certificates are built with @peculiar/asn1-x509 and signed with node:crypto.
 *
 * Files in the directory: `ca.key` (PKCS#8, mode 0600), `ca.pem`, `state.json` (next CRL
 * number and the revoked serials), `crl.pem` once published.
 */

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const SIGNATURE_HASHES: Readonly<Record<string, string>> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};
const DAY = 86_400_000;

interface CaState {
  crlNumber: number;
  revoked: { serial: string; date: string }[];
}

const files = (dir: string) => ({ key: join(dir, 'ca.key'), cert: join(dir, 'ca.pem'), state: join(dir, 'state.json'), crl: join(dir, 'crl.pem') });

function pem(label: string, der: ArrayBuffer | Uint8Array): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der as ArrayBuffer).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

function fromPem(text: string | Buffer, label: string): Buffer {
  const source = Buffer.isBuffer(text) ? text.toString('latin1') : text;
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(source);
  if (match) return Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
  if (Buffer.isBuffer(text)) return text;
  throw new SealpostError('CONFIG_INVALID', `expected a PEM ${label}`);
}

function extension(extnID: string, value: unknown, critical = false): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

function keyIdentifier(spki: SubjectPublicKeyInfo): ArrayBuffer {
  return new Uint8Array(createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest()).buffer;
}

function serialNumber(): ArrayBuffer {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f; // a positive INTEGER
  bytes[0]! |= 0x10; // and never a leading zero byte
  return new Uint8Array(bytes).buffer;
}

function signTbs(tbs: unknown, key: KeyObject): ArrayBuffer {
  return new Uint8Array(sign('sha256', new Uint8Array(AsnConvert.serialize(tbs)), key)).buffer;
}

async function load(dir: string) {
  const paths = files(dir);
  try {
    const [keyPem, certPem, state] = await Promise.all([readFile(paths.key, 'utf8'), readFile(paths.cert, 'utf8'), readFile(paths.state, 'utf8')]);
    const cert = AsnConvert.parse(fromPem(certPem, 'CERTIFICATE'), Certificate);
    return { paths, key: createPrivateKey(keyPem), cert, certPem, state: JSON.parse(state) as CaState };
  } catch (cause) {
    throw new SealpostError('CONFIG_INVALID', `${dir} is not a CA directory (run sealpost ca init): ${(cause as Error).message}`, { cause });
  }
}

/** Creates a CA in `dir`: a P-256 key and a self-signed CA certificate. Refuses to overwrite one. */
export async function initCa(dir: string, subject: string, days: number): Promise<{ certPath: string; subject: string }> {
  const paths = files(dir);
  await mkdir(dir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
  const name = parseSubject(subject);
  const now = Date.now();
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature: new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }),
    issuer: name,
    validity: new Validity({ notBefore: new Date(now - 60_000), notAfter: new Date(now + days * DAY) }),
    subject: name,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions([
      extension(id_ce_basicConstraints, new BasicConstraints({ cA: true }), true),
      extension(id_ce_keyUsage, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign), true),
      extension(id_ce_subjectKeyIdentifier, new SubjectKeyIdentifier(keyIdentifier(spki))),
    ]),
  });
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }), signatureValue: signTbs(tbs, privateKey) });
  await writeFile(paths.key, privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 }).catch((cause: NodeJS.ErrnoException) => {
    throw new SealpostError('CONFIG_INVALID', cause.code === 'EEXIST' ? `${paths.key} exists: ${dir} already holds a CA` : `cannot write ${paths.key}: ${cause.message}`, { cause });
  });
  await chmod(paths.key, 0o600);
  await writeFile(paths.cert, pem('CERTIFICATE', AsnConvert.serialize(cert)));
  await writeFile(paths.state, `${JSON.stringify({ crlNumber: 1, revoked: [] } satisfies CaState, null, 2)}\n`);
  return { certPath: paths.cert, subject: new X509Certificate(await readFile(paths.cert)).subject.split('\n').join(', ') };
}

/** Options for {@link issueCertificate}. */
export interface IssueOptions {
  /** Validity in days from `notBefore`. */
  readonly days: number;
  /** Start of validity. @defaultValue now */
  readonly notBefore?: Date;
  /** Subject alternative names: `DNS:host`, `URI:uri` or `email:address`. */
  readonly subjectAltNames?: readonly string[];
}

function generalName(text: string): GeneralName {
  const at = text.indexOf(':');
  const kind = text.slice(0, at);
  const value = text.slice(at + 1);
  if (kind === 'DNS' && value) return new GeneralName({ dNSName: value });
  if (kind === 'URI' && value) return new GeneralName({ uniformResourceIdentifier: value });
  if (kind === 'email' && value) return new GeneralName({ rfc822Name: value });
  throw new SealpostError('CONFIG_INVALID', `a subject alternative name is DNS:host, URI:uri or email:address, got ${JSON.stringify(text)}`);
}

/**
 * Issues a signing certificate for the key of a PKCS#10 request (PEM or DER) whose signature
 * verifies: the request's subject, basicConstraints CA:FALSE, keyUsage digitalSignature.
 * Returns the certificate as PEM.
 */
export async function issueCertificate(dir: string, csr: Buffer, options: IssueOptions): Promise<string> {
  const ca = await load(dir);
  let request: CertificationRequest;
  try {
    request = AsnConvert.parse(fromPem(csr, 'CERTIFICATE REQUEST'), CertificationRequest);
  } catch (cause) {
    throw new SealpostError('CONFIG_INVALID', 'not a PKCS#10 certificate request', { cause });
  }
  const info = request.certificationRequestInfo;
  const hash = SIGNATURE_HASHES[request.signatureAlgorithm.algorithm];
  const spkiDer = new Uint8Array(AsnConvert.serialize(info.subjectPKInfo));
  const signed = request.certificationRequestInfoRaw ?? AsnConvert.serialize(info);
  if (!hash || !verify(hash, new Uint8Array(signed), createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' }), new Uint8Array(request.signature))) {
    throw new SealpostError('CONFIG_INVALID', 'the certificate request signature does not verify (or is not ECDSA)');
  }
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const caSpki = ca.cert.tbsCertificate.subjectPublicKeyInfo;
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature: new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }),
    issuer: ca.cert.tbsCertificate.subject,
    validity: new Validity({ notBefore, notAfter: new Date(notBefore.getTime() + options.days * DAY) }),
    subject: info.subject,
    subjectPublicKeyInfo: info.subjectPKInfo,
    extensions: new Extensions([
      extension(id_ce_basicConstraints, new BasicConstraints({ cA: false }), true),
      extension(id_ce_keyUsage, new KeyUsage(KeyUsageFlags.digitalSignature), true),
      extension(id_ce_subjectKeyIdentifier, new SubjectKeyIdentifier(keyIdentifier(info.subjectPKInfo))),
      extension(id_ce_authorityKeyIdentifier, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(caSpki)) })),
      ...(options.subjectAltNames?.length ? [extension(id_ce_subjectAltName, new SubjectAlternativeName(options.subjectAltNames.map(generalName)))] : []),
    ]),
  });
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }), signatureValue: signTbs(tbs, ca.key) });
  return pem('CERTIFICATE', AsnConvert.serialize(cert));
}

/** Records a certificate issued by this CA as revoked (it appears in the next CRL). Returns its serial. */
export async function revokeCertificate(dir: string, certPem: Buffer): Promise<string> {
  const ca = await load(dir);
  const cert = new X509Certificate(certPem);
  if (!cert.checkIssued(new X509Certificate(ca.certPem)) || !cert.verify(createPublicKey(ca.key))) {
    throw new SealpostError('CONFIG_INVALID', 'this certificate was not issued by this CA');
  }
  if (!ca.state.revoked.some((r) => r.serial === cert.serialNumber)) ca.state.revoked.push({ serial: cert.serialNumber, date: new Date().toISOString() });
  await writeFile(ca.paths.state, `${JSON.stringify(ca.state, null, 2)}\n`);
  return cert.serialNumber;
}

/** Publishes a CRL (PEM) listing every revoked serial, valid for `days`; returns its path. */
export async function publishCrl(dir: string, days: number, out?: string): Promise<{ path: string; revoked: number }> {
  const ca = await load(dir);
  const now = new Date();
  const caSpki = ca.cert.tbsCertificate.subjectPublicKeyInfo;
  const revoked = ca.state.revoked.map((r) => new RevokedCertificate({ userCertificate: new Uint8Array(Buffer.from(r.serial, 'hex')).buffer, revocationDate: new Time(new Date(r.date)) }));
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }),
    issuer: ca.cert.tbsCertificate.subject as Name,
    thisUpdate: new Time(now),
    nextUpdate: new Time(new Date(now.getTime() + days * DAY)),
    ...(revoked.length ? { revokedCertificates: revoked } : {}),
    crlExtensions: [
      extension(id_ce_authorityKeyIdentifier, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyIdentifier(caSpki)) })),
      extension(id_ce_cRLNumber, new CRLNumber(ca.state.crlNumber)),
    ],
  });
  const crl = new CertificateList({ tbsCertList: tbs, signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }), signature: signTbs(tbs, ca.key) });
  ca.state.crlNumber += 1;
  const path = out ?? ca.paths.crl;
  await writeFile(path, pem('X509 CRL', AsnConvert.serialize(crl)));
  await writeFile(ca.paths.state, `${JSON.stringify(ca.state, null, 2)}\n`);
  return { path, revoked: revoked.length };
}
