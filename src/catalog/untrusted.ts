import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';

/** What a directory entry that is not a regular file is, in words. */
function kindOf(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isBlockDevice() || stats.isCharacterDevice()) return 'a device';
  return 'not a regular file';
}

export type UntrustedRead = { bytes: Buffer } | { problem: string };

/**
 * A file that somebody else put where the node reads (a restore request, a catalog copy), read as root: only a
 * regular file, never through a link (O_NOFOLLOW), never waiting on a FIFO (O_NONBLOCK), at most `limit` bytes.
 * The problem is said in words; nothing of the file's content is quoted.
 */
export function readUntrustedFile(path: string, limit: number): UntrustedRead {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    return { problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  if (!stats.isFile()) return { problem: `is ${kindOf(stats)}, not a regular file` };
  if (stats.size > limit) return { problem: `is larger than ${limit} bytes` };
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    return { problem: `cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    const opened = fstatSync(fd);
    // Swapped for something else between the look and the open.
    if (!opened.isFile() || opened.ino !== stats.ino || opened.dev !== stats.dev) return { problem: 'changed while it was being read' };
    if (opened.size > limit) return { problem: `is larger than ${limit} bytes` };
    // One byte more than it had: a file that grows meanwhile is seen to, and no more is allocated than it holds.
    const buffer = Buffer.allocUnsafe(opened.size + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > opened.size) return { problem: 'changed while it was being read' };
    return { bytes: buffer.subarray(0, length) };
  } finally {
    closeSync(fd);
  }
}

/** UTF-8 text, its byte order mark (Windows Notepad writes one) dropped, or undefined for bytes that are not UTF-8. */
export function utf8Text(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}
