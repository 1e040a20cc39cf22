/**
 * Preloaded (`node --expose-gc --import ./measure-memory.ts ...`) into a process whose memory a
 * test bounds. Node releases the buffers a stream is done with only when its collector next runs,
 * and may let tens of MiB of them pile up first (V8 collects for external memory only past a
 * limit that grows); a young-generation collection (cheap: those buffers' handles are young) every
 * few milliseconds makes the peak resident set measure what the process holds, not how lazily it
 * collects. The peak (bytes) is reported on standard error at exit.
 */
const collect = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc;
if (collect) setInterval(() => collect({ type: 'minor' }), 5).unref();
process.on('exit', () => process.stderr.write(`max-rss ${process.resourceUsage().maxRSS * 1024}\n`));
