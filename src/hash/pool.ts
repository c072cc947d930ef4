import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SRC_DIR } from '../paths.js';
import { compareFiles, hashFiles, type CompareJob, type CompareReply, type FileReader, type HashJob, type HashReply, type Job } from './jobs.js';
import { CHUNK, xxh64File, type FileHash } from './xxh64.js';

/** A file to read and the hash it must have: `name` is a byte name (one character per byte) below `dir`. */
export interface ExpectedFile {
  dir: string;
  name: string;
  hash: string;
}

/** A file that did not match: its hash, or why it could not be read (`code`: the errno name, ENOENT for a missing file). */
export interface Difference<T extends ExpectedFile> {
  file: T;
  actual?: string;
  error?: string;
  code?: string;
}

export interface Comparison<T extends ExpectedFile> {
  /** Files read (whatever their hash). */
  files: number;
  bytes: number;
  differences: Difference<T>[];
}

/** Files per message to a worker, and messages a worker may have at once: small batches keep both busy to the end. */
const BATCH = 256;
const JOBS_PER_WORKER = 2;
const GROW_AFTER_MS = 100;
/**
 * Reading the main thread does itself before the first thread starts. A thread costs about 0.05 s and 20 MiB (its
 * own isolate, modules and wasm): a pass whose copy check and scrub are small (a night's change, a scrub slice or
 * two of a 100,000-file store: 0.2-0.4 s of one core here) never pays that.
 */
const INLINE_MS = 500;
/** The largest file the main thread reads itself (at 1 GB/s, 0.06 s). */
const INLINE_FILE_BYTES = 64 * 1024 * 1024;

interface Pending {
  job: Job;
  resolve: (reply: never) => void;
  reject: (error: Error) => void;
}

/**
 * Reads and hashes files on the main thread while that stays short (INLINE_MS in all, files up to
 * INLINE_FILE_BYTES), then on up to one worker thread per core (at most 4). Work goes to the workers as batches, a worker
 * getting the next one when it hands results back, so a worker busy with a large file does not hold back the rest.
 * `hash` answers one file at a time (requests made in the same turn of the event loop share a batch); `compare`
 * checks a stream of files against their expected hashes in the workers and hands back only the differences: the
 * main thread's cost per file is a name in a string, not a message, a promise and a result.
 */
export class HashPool {
  private readonly workers: Worker[] = [];
  private readonly jobsAt: number[] = [];
  private readonly replies = new Map<number, Pending>();
  private readonly backlog: (Pending & { id: number })[] = [];
  private hashQueue: { path: string | Buffer; resolve: (value: FileHash) => void; reject: (error: Error) => void }[] = [];
  private nextId = 0;
  private growTimer: NodeJS.Timeout | undefined;
  private broken: Error | undefined;
  private inlineMs = 0;
  private readonly inlineBuffer = Buffer.allocUnsafe(CHUNK);

  private readonly threads: number;
  private readonly inlineBudgetMs: number;

  /** `inlineMs: 0` for work known to be large (verify --full): threads from the first file. */
  constructor({ threads = Math.min(4, availableParallelism()), inlineMs = INLINE_MS }: { threads?: number; inlineMs?: number } = {}) {
    this.threads = threads;
    this.inlineBudgetMs = inlineMs;
  }

  /**
   * The main thread's reader while its budget lasts and no thread has started. It declines a file over
   * INLINE_FILE_BYTES (the rest of a 50 GB image is a thread's work), and everything once the budget is spent; the
   * event loop, and with it every timeout and signal, runs between the reads of a larger file. What is counted is
   * the time of each synchronous stretch, not the turns other batches take meanwhile.
   */
  private inlineReader(): FileReader | undefined {
    if (this.workers.length > 0 || this.inlineMs >= this.inlineBudgetMs) return undefined;
    return (path) => {
      if (this.inlineMs >= this.inlineBudgetMs) return Promise.resolve(undefined);
      let start = performance.now();
      const lap = () => {
        const now = performance.now();
        this.inlineMs += now - start;
        start = now;
      };
      const between = async () => {
        lap();
        await new Promise(setImmediate);
        start = performance.now();
      };
      const hashing = xxh64File(path, this.inlineBuffer, { upTo: INLINE_FILE_BYTES, between });
      lap();
      return hashing;
    };
  }

  /**
   * One thread starts with the first file the main thread leaves (a pass with little to read starts none); another
   * only when work has waited GROW_AFTER_MS.
   */
  private grow(): void {
    const index = this.workers.length;
    // A small young generation: a worker's garbage is a path and a hash per file, and 16 MiB semi-spaces are RSS.
    const worker = new Worker(new URL('hash/worker.js', SRC_DIR), { resourceLimits: { maxYoungGenerationSizeMb: 2 } });
    this.workers.push(worker);
    this.jobsAt.push(0);
    worker.on('message', (reply: { id: number }) => {
      this.jobsAt[index]! -= 1;
      const pending = this.replies.get(reply.id)!;
      this.replies.delete(reply.id);
      pending.resolve(reply as never);
      this.dispatch();
    });
    // A thread that died (out of memory) answers nothing more: everything asked of the pool fails with its error.
    worker.on('error', (error) => {
      this.broken = error;
      for (const pending of [...this.replies.values(), ...this.backlog.splice(0)]) pending.reject(error);
      this.replies.clear();
    });
  }

  private growLater(): void {
    if (this.growTimer || this.workers.length >= this.threads) return;
    this.growTimer = setTimeout(() => {
      this.growTimer = undefined;
      if (this.backlog.length === 0) return;
      this.grow();
      this.dispatch();
    }, GROW_AFTER_MS);
  }

  /** A job for a thread. */
  private post<R>(job: Job): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.broken) return reject(this.broken);
      this.backlog.push({ id: this.nextId++, job, resolve: resolve as (reply: never) => void, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.backlog.length > 0 && this.workers.length === 0) this.grow();
    for (let index = 0; index < this.workers.length && this.backlog.length > 0; index++) {
      while (this.jobsAt[index]! < JOBS_PER_WORKER && this.backlog.length > 0) {
        const pending = this.backlog.shift()!;
        this.jobsAt[index]! += 1;
        this.replies.set(pending.id, pending);
        this.workers[index]!.postMessage({ id: pending.id, ...pending.job });
      }
    }
    if (this.backlog.length > 0) this.growLater();
  }

  hash(path: string | Buffer): Promise<FileHash> {
    return new Promise((resolve, reject) => {
      this.hashQueue.push({ path, resolve, reject });
      if (this.hashQueue.length === 1) setImmediate(() => this.sendHashes());
    });
  }

  private sendHashes(): void {
    const queued = this.hashQueue;
    this.hashQueue = [];
    for (let start = 0; start < queued.length; start += BATCH) {
      const batch = queued.slice(start, start + BATCH);
      this.hashBatch({ kind: 'hash', paths: batch.map((request) => request.path) }).then(
        ({ results }) =>
          results.forEach((result, index) => (!result || 'error' in result ? batch[index]!.reject(new Error(result?.error)) : batch[index]!.resolve(result))),
        (error: Error) => batch.forEach((request) => request.reject(error)),
      );
    }
  }

  /** A batch read on the main thread as far as its reader takes it, the rest on a thread. */
  private async hashBatch(job: HashJob): Promise<Omit<HashReply, 'id'>> {
    const read = this.inlineReader();
    if (!read) return this.post<HashReply>(job);
    const { results } = await hashFiles(job, read);
    const left = results.flatMap((result, index) => (result ? [] : [index]));
    if (left.length === 0) return { results };
    const rest = await this.post<HashReply>({ kind: 'hash', paths: left.map((index) => job.paths[index]!) });
    left.forEach((index, at) => (results[index] = rest.results[at]));
    return { results };
  }

  private async compareBatch(job: CompareJob): Promise<Omit<CompareReply, 'id'>> {
    const read = this.inlineReader();
    if (!read) return this.post<CompareReply>(job);
    const here = await compareFiles(job, read);
    if (here.left.length === 0) return here;
    const names = job.names.split('\0');
    const rest = await this.post<CompareReply>({
      kind: 'compare',
      dir: job.dir,
      names: here.left.map((index) => names[index]).join('\0'),
      hashes: here.left.map((index) => job.hashes.slice(index * 16, index * 16 + 16)).join(''),
    });
    return {
      files: here.files + rest.files,
      bytes: here.bytes + rest.bytes,
      differences: [...here.differences, ...rest.differences.map((difference) => ({ ...difference, index: here.left[difference.index]! }))],
      left: [],
    };
  }

  /** Reads every file and compares it with its hash; memory stays bounded however many files the stream holds. */
  async compare<T extends ExpectedFile>(files: Iterable<T>): Promise<Comparison<T>> {
    const comparison: Comparison<T> = { files: 0, bytes: 0, differences: [] };
    const inFlight = new Set<Promise<void>>();
    const send = (batch: T[]) => {
      const job: CompareJob = {
        kind: 'compare',
        dir: batch[0]!.dir,
        names: batch.map((file) => file.name).join('\0'),
        hashes: batch.map((file) => file.hash).join(''),
      };
      const sent: Promise<void> = this.compareBatch(job).then((reply) => {
        inFlight.delete(sent);
        comparison.files += reply.files;
        comparison.bytes += reply.bytes;
        for (const { index, ...difference } of reply.differences) comparison.differences.push({ file: batch[index]!, ...difference });
      });
      // Awaited below through race and all; marked handled here so that a failure after the first is not unhandled.
      sent.catch(() => undefined);
      inFlight.add(sent);
    };
    let batch: T[] = [];
    for (const file of files) {
      if (batch.length > 0 && (batch.length >= BATCH || file.dir !== batch[0]!.dir)) {
        send(batch);
        batch = [];
        // Enough queued to keep every worker busy while the main thread reads on, no more.
        while (inFlight.size > this.threads * (JOBS_PER_WORKER + 1)) await Promise.race(inFlight);
      }
      batch.push(file);
    }
    if (batch.length > 0) send(batch);
    await Promise.all(inFlight);
    return comparison;
  }

  async close(): Promise<void> {
    clearTimeout(this.growTimer);
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
