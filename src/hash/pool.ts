import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface FileHash {
  hash: string;
  bytes: number;
}

interface Pending {
  resolve: (value: FileHash) => void;
  reject: (error: Error) => void;
}

/** Hashes files on one worker thread per core, so reading and hashing use both of the Odroid's fast paths. */
export class HashPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private readonly load: number[];
  private nextId = 0;
  bytesRead = 0;
  filesRead = 0;

  constructor(threads = Math.min(4, availableParallelism())) {
    this.workers = Array.from({ length: Math.max(1, threads) }, () => new Worker(new URL('./worker.js', import.meta.url)));
    this.load = this.workers.map(() => 0);
    this.workers.forEach((worker, index) =>
      worker.on('message', (message: { id: number; hash?: string; bytes?: number; error?: string }) => {
        this.load[index]!--;
        const waiter = this.pending.get(message.id)!;
        this.pending.delete(message.id);
        if (message.error !== undefined) waiter.reject(new Error(message.error));
        else {
          this.bytesRead += message.bytes!;
          this.filesRead++;
          waiter.resolve({ hash: message.hash!, bytes: message.bytes! });
        }
      }),
    );
  }

  hash(path: string): Promise<FileHash> {
    const id = this.nextId++;
    const index = this.load.indexOf(Math.min(...this.load));
    this.load[index]!++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.workers[index]!.postMessage({ id, path });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
