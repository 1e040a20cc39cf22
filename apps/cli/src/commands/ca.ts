import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { SealpostError } from '@sealpost/envelope';
import { assertWritable } from '../files.ts';
import { collect } from '../options.ts';
import { createOutput } from '../output.ts';

/** The CA's ASN.1 and KMS-subject code loads only when a ca command runs, not for every command's help. */
const localCa = () => import('../ca/local-ca.ts');

const dirOption = ['--dir <dir>', 'the CA directory (ca.key, ca.pem, state.json)', 'ca'] as const;

function days(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 36_500) throw new SealpostError('CONFIG_INVALID', `${flag} must be a whole number of days from 1 to 36500, got ${JSON.stringify(value)}`);
  return n;
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new SealpostError('CONFIG_INVALID', `cannot read ${what} ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
}

/** `sealpost ca ...`: a local certification authority for development and tests. */
export function caCommand(): Command {
  const ca = new Command('ca').description('A local certification authority for development and tests: certify sender keys from CSRs, revoke them, publish CRLs');
  ca.addCommand(
    new Command('init')
      .description('Create a CA: a P-256 key (ca.key, 0600) and a self-signed CA certificate (ca.pem)')
      .option(...dirOption)
      .option('--subject <dn>', 'the CA subject', 'CN=Sealpost Development CA')
      .option('--days <n>', 'validity in days', '3650')
      .option('--json', 'print the result as JSON')
      .action(async (options: { dir: string; subject: string; days: string; json?: boolean }) => {
        const result = await (await localCa()).initCa(options.dir, options.subject, days(options.days, '--days'));
        createOutput(Boolean(options.json)).result(result, `created CA ${result.subject}\n  certificate ${result.certPath} (give it to receivers as --trust-ca or SEALPOST_TRUST_CA)`);
      })
      .exitOverride(),
  );
  ca.addCommand(
    new Command('issue')
      .description('Issue a signing certificate (keyUsage digitalSignature) for the key of a CSR, e.g. one made by `sealpost kms csr` or `openssl req`')
      .option(...dirOption)
      .requiredOption('--csr <file>', 'the PKCS#10 request, PEM or DER')
      .requiredOption('--out <file>', 'where to write the certificate (PEM)')
      .option('--days <n>', 'validity in days', '365')
      .option('--not-before <time>', 'start of validity (ISO 8601), default now')
      .option('--san <name>', 'subject alternative name: DNS:host, URI:uri or email:address (repeatable)', collect)
      .option('--force', 'overwrite an existing output file')
      .option('--json', 'print the result as JSON')
      .action(async (options: { dir: string; csr: string; out: string; days: string; notBefore?: string; san?: string[]; force?: boolean; json?: boolean }) => {
        await assertWritable(options.out, Boolean(options.force));
        const notBefore = options.notBefore === undefined ? undefined : new Date(options.notBefore);
        if (notBefore && Number.isNaN(notBefore.getTime())) throw new SealpostError('CONFIG_INVALID', `--not-before expects an ISO 8601 time, got ${JSON.stringify(options.notBefore)}`);
        const pem = await (await localCa()).issueCertificate(options.dir, await readInput(options.csr, 'CSR'), { days: days(options.days, '--days'), ...(notBefore ? { notBefore } : {}), ...(options.san ? { subjectAltNames: options.san } : {}) });
        await writeFile(options.out, pem);
        createOutput(Boolean(options.json)).result({ out: options.out }, `wrote ${options.out}`);
      })
      .exitOverride(),
  );
  ca.addCommand(
    new Command('revoke')
      .description('Revoke a certificate this CA issued: it is listed in the next CRL')
      .option(...dirOption)
      .requiredOption('--cert <file>', 'the certificate (PEM)')
      .option('--json', 'print the result as JSON')
      .action(async (options: { dir: string; cert: string; json?: boolean }) => {
        const serial = await (await localCa()).revokeCertificate(options.dir, await readInput(options.cert, 'certificate'));
        createOutput(Boolean(options.json)).result({ serial }, `revoked serial ${serial}; publish with sealpost ca crl`);
      })
      .exitOverride(),
  );
  ca.addCommand(
    new Command('crl')
      .description('Publish the CRL (PEM) listing every revoked certificate')
      .option(...dirOption)
      .option('--out <file>', 'where to write it (default: <dir>/crl.pem)')
      .option('--days <n>', 'days until the next update', '7')
      .option('--json', 'print the result as JSON')
      .action(async (options: { dir: string; out?: string; days: string; json?: boolean }) => {
        const result = await (await localCa()).publishCrl(options.dir, days(options.days, '--days'), options.out);
        createOutput(Boolean(options.json)).result(result, `wrote ${result.path} (${result.revoked} revoked)`);
      })
      .exitOverride(),
  );
  return ca;
}
