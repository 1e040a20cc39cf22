import { Command } from 'commander';
import { DEFAULT_LIMITS, inspect, openInputFile } from '@sealpost/envelope';
import { createOutput } from '../output.ts';

const PREFIX_AND_MAX_HEADER = 13 + DEFAULT_LIMITS.maxHeaderBytes;

async function readStart(path: string): Promise<Buffer> {
  // openInputFile: a missing file or a directory is a typed IO_ERROR naming the path.
  const source = path === '-' ? process.stdin : (await openInputFile(path)).stream;
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of source) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= PREFIX_AND_MAX_HEADER) break;
    }
  } finally {
    if (source !== process.stdin) source.destroy();
  }
  return Buffer.concat(chunks).subarray(0, PREFIX_AND_MAX_HEADER);
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
