import type { FileHash } from './xxh64.js';

/** Hash these files: one `{ hash, bytes }` or `{ error }` each, in order. */
export interface HashJob {
  kind: 'hash';
  paths: (string | Uint8Array)[];
}
export interface HashReply {
  id: number;
  /** Undefined: a file left to a thread (hashFiles with a reader that declines it). */
  results: (FileHash | { error: string } | undefined)[];
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
  /** The files the reader declined, by index: none on a thread. */
  left: number[];
}

export type Job = HashJob | CompareJob;

/** Reads and hashes one file, or declines it (undefined): the main thread's reader takes only what is quick. */
export type FileReader = (path: string | Buffer) => Promise<FileHash | undefined>;

/** The same jobs on a hashing thread and on the main thread, with the reader each uses. */
export async function hashFiles({ paths }: HashJob, read: FileReader): Promise<Omit<HashReply, 'id'>> {
  const results: HashReply['results'] = [];
  for (const path of paths) {
    try {
      // A Buffer path arrives at a thread as a plain Uint8Array: fs wants it back as a Buffer.
      results.push(await read(typeof path === 'string' ? path : Buffer.from(path)));
    } catch (error) {
      results.push({ error: (error as Error).message });
    }
  }
  return { results };
}

export async function compareFiles({ dir, names, hashes }: CompareJob, read: FileReader): Promise<Omit<CompareReply, 'id'>> {
  const reply: Omit<CompareReply, 'id'> = { files: 0, bytes: 0, differences: [], left: [] };
  const prefix = Buffer.from(`${dir}/`);
  const list = names.split('\0');
  for (let index = 0; index < list.length; index++) {
    try {
      // A byte name is one character per byte: Latin-1 gives the bytes back.
      const found = await read(Buffer.concat([prefix, Buffer.from(list[index]!, 'latin1')]));
      if (!found) {
        reply.left.push(index);
        continue;
      }
      reply.files++;
      reply.bytes += found.bytes;
      if (found.hash !== hashes.slice(index * 16, index * 16 + 16)) reply.differences.push({ index, actual: found.hash });
    } catch (error) {
      reply.differences.push({ index, error: (error as Error).message, code: (error as NodeJS.ErrnoException).code });
    }
  }
  return reply;
}
