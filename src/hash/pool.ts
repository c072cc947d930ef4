import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface FileHash {
  hash: string;
  bytes: number;
}

interface Request {
  id: number;
  /** A Buffer for a name that is bytes, not text (store/names.ts). */
  path: string | Buffer;
  resolve: (value: FileHash) => void;
  reject: (error: Error) => void;
}

type Result = { id: number; hash: string; bytes: number } | { id: number; error: string };

/** Files per message to a worker, and messages a worker may have at once: small batches keep both busy to the end. */
const BATCH = 64;
const BATCHES_PER_WORKER = 2;

/**
 * Hashes files on one worker thread per core. Requests wait in one queue and go to the workers as small batches,
 * a worker getting the next one when it hands results back: a tree of small files costs one message per batch,
 * and a worker busy with a large file does not hold back the rest.
 */
export class HashPool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, Request>();
  private readonly queued: Request[] = [];
  private readonly inFlight: number[] = [];
  private dispatchScheduled = false;
  private nextId = 0;

  constructor(private readonly threads = Math.min(4, availableParallelism())) {}

  /** The threads start with the first file to hash: a pass where nothing changed starts none (about 0.1 s each). */
  private start(): void {
    if (this.workers.length > 0) return;
    for (let index = 0; index < Math.max(1, this.threads); index++) {
      const worker = new Worker(new URL('./worker.js', import.meta.url));
      this.workers.push(worker);
      this.inFlight.push(0);
      worker.on('message', (results: Result[]) => {
        this.inFlight[index]! -= 1;
        for (const result of results) {
          const request = this.waiting.get(result.id)!;
          this.waiting.delete(result.id);
          if ('error' in result) request.reject(new Error(result.error));
          else request.resolve({ hash: result.hash, bytes: result.bytes });
        }
        this.dispatch();
      });
    }
  }

  hash(path: string | Buffer): Promise<FileHash> {
    return new Promise((resolve, reject) => {
      this.queued.push({ id: this.nextId++, path, resolve, reject });
      // Requests made in the same turn of the event loop fill whole batches.
      if (!this.dispatchScheduled) {
        this.dispatchScheduled = true;
        setImmediate(() => {
          this.dispatchScheduled = false;
          this.dispatch();
        });
      }
    });
  }

  private dispatch(): void {
    if (this.queued.length > 0) this.start();
    for (let index = 0; index < this.workers.length && this.queued.length > 0; index++) {
      while (this.inFlight[index]! < BATCHES_PER_WORKER && this.queued.length > 0) {
        const batch = this.queued.splice(0, BATCH);
        this.inFlight[index]! += 1;
        for (const request of batch) this.waiting.set(request.id, request);
        this.workers[index]!.postMessage(batch.map(({ id, path }) => ({ id, path })));
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
