/**
 * `node hanging-blob-writer.ts ROOT NAME`: writes a blob into the directory blob location ROOT
 * from a source that sends 1 MiB and then never ends, so a test can SIGKILL a writer mid-blob.
 */
import { Readable } from 'node:stream';
import { createDirectoryBlobStore } from '../../src/index.ts';

const [root, name] = process.argv.slice(2) as [string, string];
const source = new Readable({ read() {} });
source.push(Buffer.alloc(1024 * 1024, 7));
await createDirectoryBlobStore(root).write(name, source);
