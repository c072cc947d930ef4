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

/**
 * A file written to a temp name in the same directory, then fsync'd and renamed over the target, and the
 * directory fsync'd: readers see the old file or the whole new one, also after a power cut.
 */
export class AtomicFile {
  private readonly temp: string;
  private readonly fd: number;

  constructor(readonly path: string) {
    this.temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
    this.fd = openSync(this.temp, 'w', 0o644);
  }

  write(data: string | Uint8Array): void {
    writeSync(this.fd, typeof data === 'string' ? Buffer.from(data) : data);
  }

  commit(): void {
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

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const file = new AtomicFile(path);
  try {
    file.write(data);
  } catch (error) {
    file.abandon();
    throw error;
  }
  file.commit();
}
