import { parentPort } from 'node:worker_threads';
import { xxh64File } from './xxh64.js';

/** One hashing thread: `{ id, path }` in, `{ id, hash, bytes }` or `{ id, error }` out. */
const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
parentPort!.on('message', async ({ id, path }: { id: number; path: string }) => {
  try {
    parentPort!.postMessage({ id, ...(await xxh64File(path, buffer)) });
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message });
  }
});
