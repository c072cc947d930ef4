import { closeSync, fstatSync, lstatSync, openSync, readSync } from 'node:fs';
import type { HashPool } from '../hash/pool.js';
import { AtomicFile } from '../state/atomic.js';
import { RSYNC_PARTIAL_DIR } from '../adapters/rsync.js';
import { byteEntries, bytePath, readRecords, type ByteName } from './names.js';
import { isHashAt, unescapeText } from '../catalog/path-index.js';

/**
 * Manifests: `<snapshot>.xxh64` beside each snapshot, every regular file with its XXH64, in the GNU format
 * `xxh64sum -c` reads. A name with a newline or CR is escaped as xxhsum 0.8.2 does: the line starts with `\` and
 * `\`, newline, CR become `\\`, `\n`, `\r` (REFERENCE §8.1). A name with only a backslash is written as it is:
 * only `\`-prefixed lines are unescaped (the coreutils convention), so xxhsum 0.8.1 (Debian 12) reads it too.
 * Lines are in walk order (see comparePaths).
 */
export interface ManifestEntry {
  hash: string;
  name: string;
}

export function formatEntry({ hash, name }: ManifestEntry): string {
  if (!/[\n\r]/.test(name)) return `${hash}  ${name}\n`;
  return `\\${hash}  ${name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}\n`;
}

/** Where a line's hash starts: after the backslash that marks an escaped name. */
const hashStart = (line: string) => (line.charCodeAt(0) === 0x5c ? 1 : 0);

/** One line's name: fixed positions (16 hex digits, a space, ` ` or `*`, the name), without a regex over the whole line. */
function lineName(line: string): string | undefined {
  const start = hashStart(line);
  const separator = line.charAt(start + 17);
  if (!isHashAt(line, start) || line.charAt(start + 16) !== ' ' || (separator !== ' ' && separator !== '*')) return undefined;
  const raw = line.slice(start + 18);
  return start === 1 ? unescapeText(raw) : raw;
}

/** A line's entry, its name already read. */
const entryOf = (line: string, name: string): ManifestEntry => ({ hash: line.slice(hashStart(line), hashStart(line) + 16), name });

/** One line's entry, or undefined when it is not a manifest line. */
export function parseEntry(line: string): ManifestEntry | undefined {
  const name = lineName(line);
  return name === undefined ? undefined : entryOf(line, name);
}

/**
 * Streams a manifest's entries (readRecords): a manifest of a million files is never held in memory. With `select`,
 * only the entries whose names it picks: a line passed over costs its name, not an entry (a scrub slice picks 1/30
 * of the lines).
 */
export function* readManifest(path: string, select?: (name: ByteName) => boolean): Generator<ManifestEntry> {
  let number = 0;
  for (const line of readRecords(path, '\n')) {
    number++;
    const name = lineName(line);
    if (name === undefined) throw new Error(`${path}:${number}: not a manifest line`);
    if (!inSnapshot(name) || (select && !select(name))) continue;
    yield entryOf(line, name);
  }
}

/**
 * An empty snapshot's manifest still holds one line, for /dev/null (empty, and always there), because `xxh64sum -c`
 * rejects a file without lines. Names in a snapshot are relative: the readers skip this one.
 */
const EMPTY_SNAPSHOT_LINE: ManifestEntry = { hash: 'ef46db3751d8e999', name: '/dev/null' };

function inSnapshot(name: ByteName): boolean {
  return name.charCodeAt(0) !== 0x2f; // '/'
}

/**
 * The walk order: path components compared one by one, so a depth-first walk with sorted names is sorted. The same
 * as comparing the names with `/` below every other byte, which needs no split per comparison.
 */
export function comparePaths(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const left = a.charCodeAt(i);
    const right = b.charCodeAt(i);
    if (left === right) continue;
    if (left === 0x2f) return -1;
    if (right === 0x2f) return 1;
    return left < right ? -1 : 1;
  }
  return a.length - b.length;
}

export interface WalkedFile {
  name: ByteName;
  ino: number;
  size: number;
}

/** Regular files under root, depth first, names sorted (as bytes); rsync's partial-dir is not part of a snapshot. */
export function* walkNames(root: string, prefix: ByteName = ''): Generator<ByteName> {
  const directory = prefix ? bytePath(root, prefix) : Buffer.from(root);
  const entries = byteEntries(directory).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (entry.name !== RSYNC_PARTIAL_DIR) yield* walkNames(root, name);
    } else if (entry.isFile()) yield name;
  }
}

/** The same walk with each file's inode and size (an lstat each: three quarters of the walk's time). */
export function* walkFiles(root: string): Generator<WalkedFile> {
  for (const name of walkNames(root)) {
    const stats = lstatSync(bytePath(root, name));
    yield { name, ino: stats.ino, size: stats.size };
  }
}

export interface ManifestStats {
  files: number;
  /** The size of every file in the snapshot. */
  totalBytes: number;
  /** Files read and hashed. */
  hashed: number;
  /** Files hard-linked from the previous snapshot, whose hash came from its manifest. */
  reused: number;
  bytesRead: number;
}

/** At most this many files are being hashed ahead of the line being written. */
const LOOKAHEAD = 256;

/** The snapshot a new one was hard-linked from, and what is known of which files did not come from it. */
export interface PreviousSnapshot {
  dir: string;
  manifest: string;
  /**
   * When the previous snapshot was the pull's only link source, the files rsync wrote (-ii lists every file): every
   * other file is then a hard link into the previous snapshot (--link-dest), whose hash is taken without asking
   * the inode.
   */
  written?: ReadonlySet<ByteName>;
  /** Where the lines of the files read (not taken from the previous manifest) go as well (SourceStore.newFiles). */
  newFiles: string;
}

/**
 * Writes `<snapshot>.xxh64` atomically. A file that is the same inode as in the previous snapshot takes its
 * hash from the previous manifest (a merge of two sorted streams), so a manifest costs only what changed.
 * With dataDurable, the manifest is named only once it resolves (the snapshot's data on the disk); if it rejects,
 * nothing is named and its error is thrown.
 */
export async function writeManifest(
  snapshotDir: string,
  manifestPath: string,
  pool: HashPool,
  previous?: PreviousSnapshot,
  dataDurable?: Promise<void>,
  /** The size of every file, from rsync's list: with it (and written, or no previous snapshot) no file is lstat'ed. */
  listedBytes?: number,
): Promise<ManifestStats> {
  const stats: ManifestStats = { files: 0, totalBytes: 0, hashed: 0, reused: 0, bytesRead: 0 };
  const output = new AtomicFile(manifestPath);
  const newFiles = previous && new AtomicFile(previous.newFiles);
  const earlier = previous ? new ManifestCursor(previous.manifest) : undefined;
  // Lines in walk order: a reused hash is written at once unless hashing is still under way ahead of it.
  const queue: (string | Promise<string>)[] = [];
  const write = (line: string | Promise<string>) => {
    if (typeof line === 'string') return output.write(line, 'latin1');
    return line.then((text) => {
      output.write(text, 'latin1');
      newFiles?.write(text, 'latin1');
    });
  };
  try {
    // With rsync's list, the names are enough: its sizes stand in for an lstat of every file.
    const written = previous?.written;
    const sized = listedBytes !== undefined && (written !== undefined || previous === undefined);
    if (sized) stats.totalBytes = listedBytes;
    for (const name of walkNames(snapshotDir)) {
      stats.files++;
      const hash = earlier?.hashOf(name);
      let linked = false;
      if (written) linked = !written.has(name);
      else if (!sized) {
        const { ino, size } = lstatSync(bytePath(snapshotDir, name));
        stats.totalBytes += size;
        linked = hash !== undefined && sameInode(bytePath(previous!.dir, name), ino);
      }
      if (hash && linked) {
        stats.reused++;
        const line = formatEntry({ hash, name });
        if (queue.length === 0) write(line);
        else queue.push(line);
        continue;
      }
      stats.hashed++;
      queue.push(
        pool.hash(bytePath(snapshotDir, name)).then(({ hash, bytes }) => {
          stats.bytesRead += bytes;
          return formatEntry({ hash, name });
        }),
      );
      // Half the lookahead written before the walk goes on: the next files go to the pool as one batch, not one
      // message each.
      if (queue.length >= LOOKAHEAD) while (queue.length > LOOKAHEAD / 2) await write(queue.shift()!);
    }
    for (const line of queue) await write(line);
    if (stats.files === 0) write(formatEntry(EMPTY_SNAPSHOT_LINE));
    await dataDurable;
  } catch (error) {
    await Promise.allSettled(queue);
    output.abandon();
    newFiles?.abandon();
    throw error;
  } finally {
    // The merge stops reading the previous manifest wherever the walk ends: an open manifest pins the mount.
    earlier?.close();
  }
  // The list first: a manifest is never without the list the scrub may read in its place.
  newFiles?.commit();
  output.commit();
  return stats;
}

/**
 * A previous manifest read forward in walk order, for a merge with a walk in the same order. Who opens one
 * closes it: a generator left before its end keeps its file open until the process exits.
 */
class ManifestCursor {
  private readonly entries: Generator<ManifestEntry>;
  private current: IteratorResult<ManifestEntry>;

  constructor(path: string) {
    this.entries = readManifest(path);
    this.current = this.entries.next();
  }

  /** The hash listed for name, if the manifest has it; names must be asked for in walk order. */
  hashOf(name: string): string | undefined {
    while (!this.current.done && comparePaths(this.current.value.name, name) < 0) this.current = this.entries.next();
    return !this.current.done && this.current.value.name === name ? this.current.value.hash : undefined;
  }

  close(): void {
    this.entries.return(undefined);
  }
}

function sameInode(path: Buffer, ino: number): boolean {
  try {
    return lstatSync(path).ino === ino;
  } catch {
    return false;
  }
}

/** Below this many bytes between the bounds, the lookup reads lines in order instead of halving further. */
const LOOKUP_SCAN_BYTES = 64 * 1024;

/**
 * The hash a manifest lists for one name, found by halving the file (its lines are in walk order): a few small
 * reads, whatever the manifest's size, so a file's versions across every snapshot cost reads per snapshot, not
 * the manifests' length.
 */
export function lookupManifest(path: string, name: ByteName): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    // The first whole line starting at or after offset (a line starts at 0 or after a newline).
    const lineFrom = (offset: number): { entry: ManifestEntry; end: number } | undefined => {
      let start = offset;
      if (offset > 0) {
        const newline = indexOfByte(fd, offset - 1, size, 0x0a);
        if (newline < 0) return undefined;
        start = newline + 1;
      }
      if (start >= size) return undefined;
      const end = indexOfByte(fd, start, size, 0x0a);
      const stop = end < 0 ? size : end;
      const line = readRange(fd, start, stop);
      const entry = parseEntry(line);
      if (!entry) throw new Error(`${path}: not a manifest line at byte ${start}`);
      return { entry, end: stop + 1 };
    };
    let low = 0;
    let high = size;
    while (high - low > LOOKUP_SCAN_BYTES) {
      const middle = Math.floor((low + high) / 2);
      const line = lineFrom(middle);
      if (line && comparePaths(line.entry.name, name) < 0) low = middle;
      else high = middle;
    }
    for (let line = lineFrom(low); line; line = lineFrom(line.end)) {
      const order = comparePaths(line.entry.name, name);
      if (order === 0) return line.entry.hash;
      if (order > 0) return undefined;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

const SEEK_CHUNK = 8192;

function indexOfByte(fd: number, from: number, size: number, byte: number): number {
  const buffer = Buffer.allocUnsafe(SEEK_CHUNK);
  for (let position = from; position < size; position += SEEK_CHUNK) {
    const read = readSync(fd, buffer, 0, SEEK_CHUNK, position);
    const index = buffer.subarray(0, read).indexOf(byte);
    if (index >= 0) return position + index;
  }
  return -1;
}

function readRange(fd: number, start: number, end: number): string {
  const buffer = Buffer.allocUnsafe(end - start);
  readSync(fd, buffer, 0, end - start, start);
  return buffer.toString('latin1');
}
