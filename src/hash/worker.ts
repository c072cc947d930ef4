import { parentPort } from 'node:worker_threads';
import { compareFiles, hashFiles, type FileReader, type Job } from './jobs.js';
import { CHUNK, xxh64File } from './xxh64.js';

/** One hashing thread: a job in, its reply out; every file read whole. */
const buffer = Buffer.allocUnsafe(CHUNK);
const readWhole: FileReader = (path) => xxh64File(path, buffer);

parentPort!.on('message', async ({ id, ...job }: Job & { id: number }) => {
  parentPort!.postMessage({ id, ...(job.kind === 'hash' ? await hashFiles(job, readWhole) : await compareFiles(job, readWhole)) });
});
