import { parentPort } from 'node:worker_threads';
import { CHUNK, xxh64File } from './xxh64.js';

/** One hashing thread: a batch of `{ id, path }` in, one `{ id, hash, bytes }` or `{ id, error }` each out. */
const buffer = Buffer.allocUnsafe(CHUNK);
parentPort!.on('message', async (batch: { id: number; path: string }[]) => {
  const results = [];
  for (const { id, path } of batch) {
    try {
      results.push({ id, ...(await xxh64File(path, buffer)) });
    } catch (error) {
      results.push({ id, error: (error as Error).message });
    }
  }
  parentPort!.postMessage(results);
});
