import { readFile, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { SealpostError } from '@sealpost/envelope';
import { assertWritable } from '../files.ts';
import { createOutput } from '../output.ts';

async function kmsModule() {
  const module = await import('@sealpost/aws-kms');
  return { module, client: module.createKmsClient() };
}

function csrCommand(): Command {
  return new Command('csr')
    .description('Create a PKCS#10 certificate signing request for a KMS signing key, signed by KMS')
    .requiredOption('--key-id <id>', 'KMS key id, ARN or alias/name (an ECC SIGN_VERIFY key)')
    .requiredOption('--subject <dn>', 'subject, e.g. "CN=Signer, O=MyOrg, OU=MyOrgUnit, C=SE, L=Gothenburg"')
    .option('--out <file>', 'write the PEM here instead of standard output')
    .option('--force', 'overwrite an existing output file')
    .addHelpText('after', '\nExample:\n  sealpost kms csr --key-id alias/sealpost-sender --subject "CN=Signer, O=MyOrg, C=SE" --out signer.csr\n  openssl req -in signer.csr -noout -verify')
    .action(async (options: { keyId: string; subject: string; out?: string; force?: boolean }) => {
      const { module, client } = await kmsModule();
      if (options.out) await assertWritable(options.out, Boolean(options.force));
      const pem = await module.createCsr({ client, keyId: options.keyId, subject: options.subject });
      if (options.out) {
        await writeFile(options.out, pem);
        process.stderr.write(`wrote ${options.out}\n`);
      } else {
        process.stdout.write(pem);
      }
    });
}

/** Writes generated key material (mode 0600, never over an existing file) in a form `--material` reads back. */
async function writeMaterial(path: string, material: Uint8Array, keySpec: string): Promise<void> {
  const body = keySpec === 'SYMMETRIC_DEFAULT' ? Buffer.from(material) : `-----BEGIN PRIVATE KEY-----\n${Buffer.from(material).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  await writeFile(path, body, { mode: 0o600, flag: 'wx' }).catch((cause: unknown) => {
    throw new SealpostError('IO_ERROR', `cannot write ${path}: ${(cause as Error).message}`, { cause, transient: false });
  });
}

function importCommand(): Command {
  return new Command('import-key-material')
    .description('Bring your own key: import key material into a KMS key created with Origin EXTERNAL')
    .requiredOption('--key-id <id>', 'KMS key id, ARN or alias/name')
    .option('--material <file>', 'the material: 32 raw bytes (symmetric) or a DER or PEM PKCS#8 private key (asymmetric)')
    .option('--generate', 'generate the material locally for the key spec')
    .option('--material-out <file>', 'with --generate: first write the generated material here (mode 0600; a secret: 32 raw bytes, or a PKCS#8 PEM private key), the only way to import it again after --valid-to or a deletion')
    .addOption(new Option('--wrapping-algorithm <name>', 'how the material is wrapped').choices(['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1']))
    .addOption(new Option('--wrapping-key-spec <spec>', 'the import wrapping key').choices(['RSA_2048', 'RSA_3072', 'RSA_4096']).default('RSA_4096'))
    .option('--valid-to <date>', 'ISO date when the material expires (default: never)')
    .option('--json', 'print the key metadata as JSON')
    .addHelpText('after', '\nExamples:\n  sealpost kms import-key-material --key-id alias/byok --generate --material-out byok.key\n  sealpost kms import-key-material --key-id alias/hsm-signer --material signer.pk8.der --wrapping-algorithm RSA_AES_KEY_WRAP_SHA_256')
    .action(async (options: { keyId: string; material?: string; generate?: boolean; materialOut?: string; wrappingAlgorithm?: 'RSAES_OAEP_SHA_256'; wrappingKeySpec: 'RSA_4096'; validTo?: string; json?: boolean }) => {
      if (!options.material === !options.generate) throw new SealpostError('CONFIG_INVALID', 'give exactly one of --material FILE or --generate');
      const { materialOut } = options;
      if (materialOut !== undefined && !options.generate) throw new SealpostError('CONFIG_INVALID', '--material-out goes with --generate');
      if (materialOut !== undefined) await assertWritable(materialOut, false, 'key material is never overwritten: choose another file');
      let validTo: Date | undefined;
      if (options.validTo) {
        validTo = new Date(options.validTo);
        if (Number.isNaN(validTo.getTime())) throw new SealpostError('CONFIG_INVALID', `--valid-to is not a date: ${options.validTo}`);
      }
      let material: Buffer | undefined;
      if (options.material) {
        const bytes = await readFile(options.material).catch((cause: unknown) => {
          throw new SealpostError('CONFIG_INVALID', `cannot read ${options.material}: ${(cause as Error).message}`, { cause });
        });
        const text = bytes.toString('latin1');
        material = text.includes('-----BEGIN PRIVATE KEY-----') ? Buffer.from(text.replace(/-----[^-]+-----|\s/g, ''), 'base64') : bytes;
      }
      const { module, client } = await kmsModule();
      const metadata = await module.importKeyMaterial({
        client,
        keyId: options.keyId,
        ...(material ? { material } : { generate: true }),
        ...(materialOut !== undefined ? { onGenerated: (generated: Uint8Array, keySpec: string) => writeMaterial(materialOut, generated, keySpec) } : {}),
        ...(options.wrappingAlgorithm ? { wrappingAlgorithm: options.wrappingAlgorithm } : {}),
        wrappingKeySpec: options.wrappingKeySpec,
        ...(validTo ? { validTo } : {}),
      });
      material?.fill(0);
      createOutput(Boolean(options.json)).result(
        { keyId: metadata.KeyId, arn: metadata.Arn, keySpec: metadata.KeySpec, keyState: metadata.KeyState, origin: metadata.Origin, ...(materialOut !== undefined ? { materialOut } : {}) },
        `imported key material into ${metadata.Arn} (${metadata.KeySpec}); the key is ${metadata.KeyState}${materialOut !== undefined ? `\n  the material is in ${materialOut} (secret: keep it offline; --material ${materialOut} imports it again)` : ''}`,
      );
    });
}

function policyCommand(): Command {
  return new Command('policy')
    .description('Print least-privilege key policies for the signing key and the encryption key, as JSON')
    .requiredOption('--sender-role <arn>', 'IAM role of the sender (signs, encrypts)')
    .requiredOption('--receiver-role <arn>', 'IAM role of the receiver (decrypts, verifies)')
    .requiredOption('--admin-role <arn>', 'IAM role that administers the keys without using them (no grants, no policy changes)')
    .option('--csr-role <arn>', 'IAM role that runs `sealpost kms csr` for the signing key (GetPublicKey, Sign), if not the sender role')
    .option('--account-id <id>', "the keys' account (default: the admin role's)")
    .option('--key <which>', "print only one policy ('signing' or 'encryption'), ready for aws kms put-key-policy")
    .addHelpText('after', '\nExample:\n  sealpost kms policy --sender-role arn:aws:iam::111122223333:role/sender --receiver-role arn:aws:iam::111122223333:role/receiver \\\n    --admin-role arn:aws:iam::111122223333:role/kms-admin --key signing > signing-policy.json\n  aws kms put-key-policy --key-id alias/sealpost-sender --policy-name default --policy file://signing-policy.json')
    .action(async (options: { senderRole: string; receiverRole: string; adminRole: string; csrRole?: string; accountId?: string; key?: string }) => {
      const { keyPolicies } = await import('@sealpost/aws-kms');
      const policies = keyPolicies({ senderRoleArn: options.senderRole, receiverRoleArn: options.receiverRole, adminRoleArn: options.adminRole, ...(options.csrRole ? { csrRoleArn: options.csrRole } : {}), ...(options.accountId ? { accountId: options.accountId } : {}) });
      if (options.key !== undefined && options.key !== 'signing' && options.key !== 'encryption') throw new SealpostError('CONFIG_INVALID', "--key must be 'signing' or 'encryption'");
      const output = options.key === 'signing' ? policies.signingKeyPolicy : options.key === 'encryption' ? policies.encryptionKeyPolicy : policies;
      process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    });
}

/** `sealpost kms ...`: the AWS KMS workflows. The KMS client uses the standard AWS configuration. */
export function kmsCommand(): Command {
  const kms = new Command('kms').description('AWS KMS workflows: CSR for a signing key, bring-your-own-key import, key policies (uses AWS_REGION, AWS_ENDPOINT_URL_KMS, profiles)');
  for (const command of [csrCommand(), importCommand(), policyCommand()]) kms.addCommand(command.exitOverride());
  return kms;
}
