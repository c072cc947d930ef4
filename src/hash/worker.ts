import { parentPort } from 'node:worker_threads';
import { CHUNK, xxh64File } from './xxh64.js';

/** Hash these files: one `{ hash, bytes }` or `{ error }` each, in order. */
export interface HashJob {
  kind: 'hash';
  paths: (string | Uint8Array)[];
}
export interface HashReply {
  id: number;
  results: ({ hash: string; bytes: number } | { error: string })[];
}

/** Compare these files (byte names joined by NUL, below dir) with their hashes (16 hex digits each, concatenated). */
export interface CompareJob {
  kind: 'compare';
  dir: string;
  names: string;
  hashes: string;
}
export interface CompareReply {
  id: number;
  files: number;
  bytes: number;
  differences: { index: number; actual?: string; error?: string; code?: string }[];
}

export type Job = HashJob | CompareJob;

/** One hashing thread: a job in, its reply out. */
const buffer = Buffer.allocUnsafe(CHUNK);

async function hashJob({ paths }: HashJob): Promise<Omit<HashReply, 'id'>> {
  const results: HashReply['results'] = [];
  for (const path of paths) {
    try {
      // A Buffer path arrives as a plain Uint8Array: fs wants it back as a Buffer.
      results.push(await xxh64File(typeof path === 'string' ? path : Buffer.from(path), buffer));
    } catch (error) {
      results.push({ error: (error as Error).message });
    }
  }
  return { results };
}

async function compareJob({ dir, names, hashes }: CompareJob): Promise<Omit<CompareReply, 'id'>> {
  const reply: Omit<CompareReply, 'id'> = { files: 0, bytes: 0, differences: [] };
  const prefix = Buffer.from(`${dir}/`);
  const list = names.split('\0');
  for (let index = 0; index < list.length; index++) {
    try {
      // A byte name is one character per byte: Latin-1 gives the bytes back.
      const { hash, bytes } = await xxh64File(Buffer.concat([prefix, Buffer.from(list[index]!, 'latin1')]), buffer);
      reply.files++;
      reply.bytes += bytes;
      if (hash !== hashes.slice(index * 16, index * 16 + 16)) reply.differences.push({ index, actual: hash });
    } catch (error) {
      reply.differences.push({ index, error: (error as Error).message, code: (error as NodeJS.ErrnoException).code });
    }
  }
  return reply;
}

parentPort!.on('message', async ({ id, ...job }: Job & { id: number }) => {
  parentPort!.postMessage({ id, ...(job.kind === 'hash' ? await hashJob(job) : await compareJob(job)) });
});
