import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Command, Option } from 'commander';
import { LOCAL_KEY_TYPES, generateLocalKeyPair, type LocalKeyType } from '@sealpost/envelope';
import { assertWritable } from '../files.ts';
import { createOutput } from '../output.ts';

/** `sealpost keygen`: a local key pair in PEM files. */
export function keygenCommand(): Command {
  return new Command('keygen')
    .description('Generate a local key pair: EC for signing (senders), RSA for encryption (receivers)')
    .addOption(new Option('--type <type>', 'key type').choices(Object.keys(LOCAL_KEY_TYPES)).makeOptionMandatory())
    .requiredOption('--out <prefix>', 'writes <prefix>.pem (private, mode 0600) and <prefix>.pub.pem')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExamples:\n  sealpost keygen --type ec-p521 --out keys/sender\n  sealpost keygen --type rsa-4096 --out keys/receiver')
    .action(async (options: { type: LocalKeyType; out: string; json?: boolean }) => {
      const out = createOutput(Boolean(options.json));
      const privatePath = `${options.out}.pem`;
      const publicPath = `${options.out}.pub.pem`;
      // No --force: replacing a private key loses every message sealed for it.
      const remedy = 'keygen never replaces a key: choose another --out prefix, or move the old key away first';
      await assertWritable(privatePath, false, remedy);
      await assertWritable(publicPath, false, remedy);
      const pair = await generateLocalKeyPair(options.type);
      await mkdir(dirname(privatePath), { recursive: true });
      await writeFile(privatePath, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
      await writeFile(publicPath, pair.publicKeyPem, { mode: 0o644, flag: 'wx' });
      out.result({ keyId: pair.keyId, type: options.type, privateKey: privatePath, publicKey: publicPath }, `${options.type} key ${pair.keyId}\n  private: ${privatePath} (keep secret)\n  public:  ${publicPath}`);
    });
}
