import { Command } from 'commander';
import { describeKeyRef } from '@sealpost/key-refs';
import { createOutput } from '../output.ts';

/** `sealpost keys ...`: key ids and the trust of a receiver configuration. */
export function keysCommand(): Command {
  const keys = new Command('keys').description('Key ids as messages carry them, and whom a receiver configuration trusts');
  keys.addCommand(
    new Command('id')
      .description('Print the key id of each key (a PEM file, public or private, or kms:KEY): the id a manifest names a sender by, or a recipient entry names a recipient by')
      .argument('<key...>', 'PEM key files or kms:KEY (key id, ARN, alias/NAME or alias ARN)')
      .option('--json', 'one JSON object per key: ref, keyId, role (sender or recipient), algorithm, type')
      .addHelpText('after', '\nThe id alone goes to stdout (one line per key), the details to stderr, so KEY=$(sealpost keys id keys/sender.pub.pem) works.\n\nExamples:\n  sealpost keys id keys/sender.pub.pem\n  sealpost keys id kms:alias/sealpost-sender --json')
      .action(async (refs: string[], options: { json?: boolean }) => {
        const out = createOutput(Boolean(options.json));
        // Every key is described before anything is printed, so a bad one leaves no partial listing.
        const described = await Promise.all(refs.map((ref) => describeKeyRef(ref)));
        for (const d of described) {
          out.info(`${d.ref}: ${d.role} key, ${d.algorithm}, ${d.type}`);
          out.result({ ...d }, d.keyId);
        }
      }),
  );
  keys.addCommand(
    new Command('trusted')
      .description('List whom a receiver configuration trusts: sender keys (SEALPOST_TRUST), CA certificates (SEALPOST_TRUST_CA), CRLs and the requirements on certified senders')
      .option('--config <file>', 'the receiver config file (JSON), read as sealpost-receiver --config reads it; SEALPOST_* variables override it')
      .option('--json', 'print the listing as one JSON object')
      .addHelpText('after', '\nEvery reference is resolved as the receiver resolves it at start (KMS keys by DescribeKey and GetPublicKey), so what is listed is what a receiver started with the same settings accepts.\n\nExamples:\n  SEALPOST_TRUST=keys/ sealpost keys trusted\n  sealpost keys trusted --config receiver.json --json')
      .action(async (options: { config?: string; json?: boolean }) => {
        const out = createOutput(Boolean(options.json));
        // Loaded here, not at start: every other command would pay for the receiver's modules.
        const { TRUST_SETTINGS, describeTrust, loadReceiverSettings } = await import('@sealpost/receiver');
        const settings = await loadReceiverSettings(TRUST_SETTINGS, options.config ? { file: options.config } : {});
        const listing = await describeTrust(settings);
        const constraints = Object.entries(listing.constraints).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
        const human = [
          `trusted senders (SEALPOST_TRUST): ${listing.senders.length}`,
          ...listing.senders.map((s) => `  ${s.keyId}  ${s.algorithm}  ${s.source}`),
          `trusted CA certificates (SEALPOST_TRUST_CA): ${listing.certificateAuthorities.length}`,
          ...listing.certificateAuthorities.map((c) => `  ${c.subject}  sha256:${c.fingerprint}  until ${c.notAfter}  ${c.source}`),
          ...(listing.crls.length > 0 ? [`CRLs (SEALPOST_CRL): ${listing.crls.join(', ')}`] : []),
          ...(constraints.length > 0 ? [`certified senders must have: ${constraints.join(', ')}`] : []),
        ].join('\n');
        out.result({ ...listing }, human);
      }),
  );
  return keys;
}
