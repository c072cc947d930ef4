import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** fsync a directory so that a rename or a new entry in it survives a power cut. */
export function fsyncDirectory(directory: string): void {
  const fd = openSync(directory, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A few thousand manifest lines per write; more would only be resident memory. */
const WRITE_BUFFER = 64 * 1024;

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
}

/**
 * A file written to a temp name in the same directory, then fsync'd and renamed over the target, and the
 * directory fsync'd: readers see the old file or the whole new one, also after a power cut.
 */
export class AtomicFile {
  private readonly temp: string;
  private readonly fd: number;
  /** Writes gather here: a manifest is written a line at a time, and a system call per line costs more than the line. */
  private readonly pending = Buffer.allocUnsafe(WRITE_BUFFER);
  private used = 0;

  constructor(
    readonly path: string,
    mode = 0o644,
  ) {
    this.temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    this.fd = openSync(this.temp, 'w', mode);
  }

  /** Text as UTF-8, or with 'latin1' a byte name's bytes (store/names.ts), encoded straight into the buffer. */
  write(data: string | Uint8Array, encoding: 'utf8' | 'latin1' = 'utf8'): void {
    const length = typeof data === 'string' ? Buffer.byteLength(data, encoding) : data.length;
    if (this.used + length > this.pending.length) this.flush();
    if (length > this.pending.length) writeAll(this.fd, typeof data === 'string' ? Buffer.from(data, encoding) : data);
    else if (typeof data === 'string') this.used += this.pending.write(data, this.used, encoding);
    else this.used += Buffer.from(data.buffer, data.byteOffset, data.length).copy(this.pending, this.used);
  }

  private flush(): void {
    writeAll(this.fd, this.pending.subarray(0, this.used));
    this.used = 0;
  }

  commit(): void {
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.temp, this.path);
    fsyncDirectory(dirname(this.path));
  }

  abandon(): void {
    closeSync(this.fd);
    rmSync(this.temp, { force: true });
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): void {
  const file = new AtomicFile(path, mode);
  try {
    file.write(data);
  } catch (error) {
    file.abandon();
    throw error;
  }
  file.commit();
}
