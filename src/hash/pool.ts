import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface FileHash {
  hash: string;
  bytes: number;
}

interface Request {
  id: number;
  path: string;
  resolve: (value: FileHash) => void;
  reject: (error: Error) => void;
}

type Result = { id: number; hash: string; bytes: number } | { id: number; error: string };

/**
 * Hashes files on one worker thread per core. Requests made in the same turn of the event loop go to the workers
 * as batches, so that a tree of small files costs one message per batch, not per file.
 */
export class HashPool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, Request>();
  private readonly queued: Request[] = [];
  private readonly busy: number[];
  private flushScheduled = false;
  private nextId = 0;

  constructor(threads = Math.min(4, availableParallelism())) {
    this.workers = Array.from({ length: Math.max(1, threads) }, () => new Worker(new URL('./worker.js', import.meta.url)));
    this.busy = this.workers.map(() => 0);
    this.workers.forEach((worker, index) =>
      worker.on('message', (results: Result[]) => {
        this.busy[index]! -= results.length;
        for (const result of results) {
          const request = this.waiting.get(result.id)!;
          this.waiting.delete(result.id);
          if ('error' in result) request.reject(new Error(result.error));
          else request.resolve({ hash: result.hash, bytes: result.bytes });
        }
      }),
    );
  }

  hash(path: string): Promise<FileHash> {
    return new Promise((resolve, reject) => {
      this.queued.push({ id: this.nextId++, path, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Splits what was asked for between the workers, the least busy getting the most. */
  private flush(): void {
    this.flushScheduled = false;
    const requests = this.queued.splice(0);
    const share = Math.ceil(requests.length / this.workers.length);
    for (let start = 0; start < requests.length; start += share) {
      const batch = requests.slice(start, start + share);
      const index = this.busy.indexOf(Math.min(...this.busy));
      this.busy[index]! += batch.length;
      for (const request of batch) this.waiting.set(request.id, request);
      this.workers[index]!.postMessage(batch.map(({ id, path }) => ({ id, path })));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
