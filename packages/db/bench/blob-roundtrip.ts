// `npm run bench:blob -- --mb 1500 --json`: writes one checkpoint of --mb MiB (default 1500,
// the size of a full fine-tuning checkpoint of a 124 M-parameter model: weights + AdamW
// moments) through storeArtifact, the same lease-guarded chunked path the worker uses, into a
// throwaway embedded PostgreSQL, and reads it back with loadArtifactContent (sha256 checked)
// and as a stream of chunks. Prints MB/s for each and the peak RSS of this process.
// Options: --chunk-mb N (default PEFT_LAB_BLOB_CHUNK_BYTES or 64), --file PATH (round-trip a
// real file instead, streamed from disk), --json.
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { loadArtifactContent, openArtifactContent, storeArtifact } from '../src/artifacts';
import { blobChunkBytes } from '../src/blobs';
import { getPool } from '../src/client';
import { createSweepWithTrials } from '../src/queries';
import { TrialQueue } from '../src/queue/trial-queue';
import { createTestDatabase } from '../src/testing';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const json = argv.includes('--json');
const log = (...a: unknown[]) => { if (!json) console.error(...a); };
const MiB = 1024 * 1024;
const file = arg('--file');
const bytes = file ? statSync(file).size : Math.round(Number(arg('--mb') ?? 1500) * MiB);
const chunkBytes = arg('--chunk-mb') ? Math.round(Number(arg('--chunk-mb')) * MiB) : blobChunkBytes();
if (!Number.isFinite(bytes) || bytes < 0) throw new Error('--mb must be a number of MiB');

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const rssMB = () => process.memoryUsage.rss() / MiB;
// Peak RSS per phase, sampled (maxRSS from the OS covers the whole run only).
let phasePeak = 0;
const sampler = setInterval(() => { phasePeak = Math.max(phasePeak, rssMB()); }, 20);
async function phase<T>(name: string, fn: () => Promise<T>): Promise<{ value: T; seconds: number; peakRssMB: number }> {
  phasePeak = rssMB();
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  phasePeak = Math.max(phasePeak, rssMB());
  log(`${name}: ${round(seconds, 2)} s, ${round(bytes / MiB / seconds)} MB/s, peak RSS ${round(phasePeak)} MB`);
  return { value, seconds, peakRssMB: round(phasePeak) };
}

const t = await createTestDatabase({ poolSize: 4 });
try {
  const { trialIds } = await createSweepWithTrials(t.db, { name: 'bench-blob', spec: {}, task: 'bench' }, [{ method: 'full', hyperparameters: {}, seed: 0 }]);
  const queue = new TrialQueue(t.db);
  const lease = (await queue.claimNextTrial('bench', 3_600_000))!;
  if (lease.trialId !== trialIds[0]) throw new Error('claimed the wrong trial');

  // Incompressible content, like float weights: generated in place, hashed once for the check.
  let content: Uint8Array | undefined;
  let sha256: string;
  if (file) {
    const h = createHash('sha256');
    for await (const piece of createReadStream(file)) h.update(piece as Buffer);
    sha256 = h.digest('hex');
  } else {
    log(`generating ${round(bytes / MiB)} MiB…`);
    const buf = Buffer.allocUnsafe(bytes);
    for (let off = 0; off < bytes; off += 64 * MiB) randomFillSync(buf, off, Math.min(64 * MiB, bytes - off));
    content = buf;
    sha256 = createHash('sha256').update(buf).digest('hex');
  }
  const baselineRssMB = round(rssMB());

  const write = await phase('write', () => storeArtifact(t.db, lease, {
    kind: 'checkpoint', file: 'checkpoint.safetensors', step: 1, asCheckpoint: true,
    content: content ?? createReadStream(file!, { highWaterMark: 4 * MiB }),
  }, { chunkBytes }));
  if (write.value.sha256 !== sha256) throw new Error(`stored sha256 ${write.value.sha256} != content sha256 ${sha256}`);

  const stream = await phase('stream read', async () => {
    const { reader } = await openArtifactContent(t.db, write.value.location);
    let n = 0;
    for await (const c of reader!.chunks()) n += c.byteLength;
    return n;
  });
  if (stream.value !== bytes) throw new Error(`streamed ${stream.value} bytes of ${bytes}`);

  content = undefined; // the read below holds its own copy
  const read = await phase('read', () => loadArtifactContent(t.db, write.value.location));
  const readSha = createHash('sha256').update(read.value).digest('hex');
  if (readSha !== sha256) throw new Error(`read back sha256 ${readSha} != ${sha256}`);

  const { rows } = await getPool(t.db).query<{ mb: number }>(`SELECT pg_total_relation_size('"BlobChunk"') / 1048576.0 AS mb`);
  clearInterval(sampler);
  const result = {
    blobRoundtrip: {
      source: file ? `file ${file}` : 'random bytes',
      mb: round(bytes / MiB),
      bytes,
      chunkBytes,
      chunks: write.value.chunkCount,
      sha256Verified: true,
      writeS: round(write.seconds, 2),
      writeMBps: round(bytes / MiB / write.seconds),
      readS: round(read.seconds, 2),
      readMBps: round(bytes / MiB / read.seconds),
      streamReadMBps: round(bytes / MiB / stream.seconds),
      baselineRssMB,
      writePeakRssMB: write.peakRssMB,
      streamReadPeakRssMB: stream.peakRssMB,
      readPeakRssMB: read.peakRssMB,
      peakRssMB: round(process.resourceUsage().maxRSS / 1024),
      tableMB: round(Number(rows[0].mb)),
    },
  };
  console.log(json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
} finally {
  clearInterval(sampler);
  await t.cleanup();
}
