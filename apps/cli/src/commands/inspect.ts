import { open } from 'node:fs/promises';
import { Command } from 'commander';
import { DEFAULT_LIMITS, inspect } from '@sealpost/envelope';
import { createOutput } from '../output.ts';

const PREFIX_AND_MAX_HEADER = 13 + DEFAULT_LIMITS.maxHeaderBytes;

async function readStart(path: string): Promise<Buffer> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of process.stdin) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= PREFIX_AND_MAX_HEADER) break;
    }
    return Buffer.concat(chunks).subarray(0, PREFIX_AND_MAX_HEADER);
  }
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(PREFIX_AND_MAX_HEADER);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** `sealpost inspect`: the envelope header, readable without keys. */
export function inspectCommand(): Command {
  return new Command('inspect')
    .description('Show an envelope header (recipients, compression, frame size); needs no keys and decrypts nothing')
    .argument('<file>', "envelope file, or '-' for standard input")
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  sealpost inspect message.enc')
    .action(async (file: string, options: { json?: boolean }) => {
      const info = inspect(await readStart(file));
      const lines = [
        `Sealpost envelope v${info.version}`,
        `  compression: ${info.compression}`,
        `  frame size:  ${info.frameSize} bytes`,
        `  header:      ${info.headerBytes} bytes`,
        `  recipients:  ${info.recipients.length}`,
        ...info.recipients.map((r) => `    ${r.keyId} (${r.algorithm}, ${r.wrappedKeyBytes}-byte wrapped key)`),
      ];
      createOutput(Boolean(options.json)).result({ ...info }, lines.join('\n'));
    });
}
