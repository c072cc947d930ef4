import { parentPort } from 'node:worker_threads';
import { CHUNK, xxh64File } from './xxh64.js';

/** One hashing thread: a batch of `{ id, path }` in, one `{ id, hash, bytes }` or `{ id, error }` each out. */
const buffer = Buffer.allocUnsafe(CHUNK);
parentPort!.on('message', async (batch: { id: number; path: string | Uint8Array }[]) => {
  const results = [];
  for (const { id, path } of batch) {
    try {
      // A Buffer path arrives as a plain Uint8Array: fs wants it back as a Buffer.
      results.push({ id, ...(await xxh64File(typeof path === 'string' ? path : Buffer.from(path), buffer)) });
    } catch (error) {
      results.push({ id, error: (error as Error).message });
    }
  }
  parentPort!.postMessage(results);
});
