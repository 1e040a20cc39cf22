import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './tools.ts';

/**
 * A test PKI made with the openssl CLI, independent of the code under test: a root, an
 * intermediate issued by it (`openssl x509 -req`), and leaves issued by the intermediate with
 * `openssl ca`, which also revokes and publishes CRLs.
 */
export interface OpensslPki {
  readonly dir: string;
  /** PEM of the root and the intermediate. */
  readonly rootPem: string;
  readonly intermediatePem: string;
  /** Makes a key pair: returns the paths of the private key and its SPKI public key (PEM). */
  key(name: string, curve?: 'P-256' | 'P-384' | 'P-521'): Promise<{ keyPath: string; publicPath: string }>;
  /** Issues a leaf from the intermediate for the public key of `keyPath` (or a CSR); returns its PEM path. */
  issue(name: string, source: { keyPath: string } | { csrPath: string }, options?: LeafOptions): Promise<string>;
  /** Revokes a leaf issued by `issue` and writes the intermediate's CRL (PEM); returns its path. */
  revoke(certPath: string): Promise<string>;
  /** Writes the intermediate's current CRL (PEM); returns its path. */
  crl(): Promise<string>;
}

/** How a leaf departs from a good one. */
export interface LeafOptions {
  /** `openssl ca` start and end dates, YYYYMMDDHHMMSSZ. */
  readonly startDate?: string;
  readonly endDate?: string;
  /** The keyUsage value. @defaultValue 'critical,digitalSignature' */
  readonly keyUsage?: string;
  /** Extra extension lines for the leaf, e.g. `subjectAltName = URI:urn:sender:orders`. */
  readonly extensions?: readonly string[];
  readonly subject?: string;
}

const CA_CONFIG = (dir: string) => `[ca]
default_ca = intermediate
[intermediate]
dir = ${dir}/ca
database = $dir/index.txt
new_certs_dir = $dir/new
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = ${dir}/intermediate.pem
private_key = ${dir}/intermediate.key
default_md = sha256
default_days = 30
default_crl_days = 30
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
organizationName = optional
`;

/** Makes a root and an intermediate in `dir`; `rootName` keeps two PKIs apart. */
export async function createOpensslPki(dir: string, options: { rootName?: string; intermediateIsCa?: boolean } = {}): Promise<OpensslPki> {
  const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
  const key = async (name: string, curve: 'P-256' | 'P-384' | 'P-521' = 'P-256') => {
    const keyPath = join(dir, `${name}.key`);
    const publicPath = join(dir, `${name}.pub.pem`);
    await openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`, '-out', keyPath);
    await openssl('pkey', '-in', keyPath, '-pubout', '-out', publicPath);
    return { keyPath, publicPath };
  };
  await key('root', 'P-384');
  await openssl('req', '-x509', '-new', '-key', 'root.key', '-out', 'root.pem', '-days', '3650', '-subj', `/O=Sealpost Test/CN=${options.rootName ?? 'Test Root'}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  await key('intermediate');
  await openssl('req', '-new', '-key', 'intermediate.key', '-out', 'intermediate.csr', '-subj', '/O=Sealpost Test/CN=Test Intermediate');
  const caExtensions = options.intermediateIsCa === false
    ? 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n'
    : 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';
  await writeFile(join(dir, 'intermediate.ext'), caExtensions);
  await openssl('x509', '-req', '-in', 'intermediate.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '1825', '-extfile', 'intermediate.ext', '-out', 'intermediate.pem');
  await run('mkdir', ['-p', join(dir, 'ca', 'new')]);
  await writeFile(join(dir, 'ca', 'index.txt'), '');
  await writeFile(join(dir, 'ca', 'serial'), '1000\n');
  await writeFile(join(dir, 'ca', 'crlnumber'), '01\n');
  const config = join(dir, 'ca.cnf');
  await writeFile(config, CA_CONFIG(dir));
  const crl = async () => {
    const path = join(dir, 'intermediate.crl.pem');
    await openssl('ca', '-config', config, '-gencrl', '-out', path);
    return path;
  };
  return {
    dir,
    rootPem: await readFile(join(dir, 'root.pem'), 'utf8'),
    intermediatePem: await readFile(join(dir, 'intermediate.pem'), 'utf8'),
    key,
    async issue(name, source, leaf = {}) {
      let csrPath: string;
      if ('csrPath' in source) csrPath = source.csrPath;
      else {
        csrPath = join(dir, `${name}.csr`);
        await openssl('req', '-new', '-key', source.keyPath, '-out', csrPath, '-subj', leaf.subject ?? `/O=Sealpost Test/CN=${name}`);
      }
      const extPath = join(dir, `${name}.ext`);
      await writeFile(extPath, `[leaf]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = ${leaf.keyUsage ?? 'critical,digitalSignature'}\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n${(leaf.extensions ?? []).join('\n')}\n`);
      const certPath = join(dir, `${name}.pem`);
      const dates = leaf.startDate ? ['-startdate', leaf.startDate, '-enddate', leaf.endDate!] : ['-days', '30'];
      await openssl('ca', '-batch', '-notext', '-config', config, '-extfile', extPath, '-extensions', 'leaf', '-in', csrPath, '-out', certPath, ...dates);
      return certPath;
    },
    async revoke(certPath) {
      await openssl('ca', '-config', config, '-revoke', certPath, '-crl_reason', 'keyCompromise');
      return crl();
    },
    crl,
  };
}
