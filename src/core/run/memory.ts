/**
 * The memory guard of a warm: it stops reading (exit 1, stopped early, the rest not attempted)
 * once what it holds reaches 85% of the JS heap's limit (bin/cachectl sets 1 GiB), instead of
 * crashing with V8's out-of-memory error or growing without bound. Values fetched by key list
 * and streamed rows live in Buffers outside the heap (socket chunks, pipeline buffers), so those
 * count too: large values times --batch-size x --pg-concurrency are what fills it.
 */
export function memoryPressure(heapBytes: number, bufferBytes: number, limitBytes: number): string | undefined {
  if (heapBytes + bufferBytes < 0.85 * limitBytes) return undefined;
  const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;
  return `the warm holds ${mib(heapBytes + bufferBytes)} (JS heap ${mib(heapBytes)}, buffers ${mib(bufferBytes)}) of its ${mib(limitBytes)} limit: the values are too large for the batch and pipeline sizes; lower --batch-size and --pipeline-size (or raise the limit: NODE_OPTIONS=--max-old-space-size=<MiB>)`;
}
