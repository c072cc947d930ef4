import { existsSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { RSYNC_PARTIAL_DIR } from '../adapters/rsync.js';
import { removeTree } from '../adapters/storage.js';
import type { Programs } from '../config/types.js';
import { OdbackupError } from '../errors.js';
import { fsyncDirectory } from '../state/atomic.js';

/**
 * The store layout of one source (SPEC §3):
 *   <store>/<source>/2026-11-22T030012Z/   complete snapshots only
 *   <store>/<source>/latest -> 2026-11-22T030012Z   swapped atomically
 *   <store>/<source>/.partial/              the snapshot in progress; a cut-off pass resumes into it
 */
const SNAPSHOT_NAME = /^\d{4}-\d{2}-\d{2}T\d{6}Z$/;

export function snapshotName(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/^(\d{4})(\d{2})(\d{2})T(\d{6})\.\d{3}Z$/, '$1-$2-$3T$4Z');
}

export function snapshotDate(name: string): Date {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(name);
  if (!match) throw new Error(`not a snapshot name: ${name}`);
  return new Date(`${match[1]}T${match[2]}:${match[3]}:${match[4]}Z`);
}

export class SourceStore {
  readonly directory: string;
  readonly partial: string;
  readonly latestLink: string;

  constructor(
    storePath: string,
    readonly name: string,
  ) {
    this.directory = join(storePath, name);
    this.partial = join(this.directory, '.partial');
    this.latestLink = join(this.directory, 'latest');
  }

  /** Complete snapshots, oldest first. */
  snapshots(): string[] {
    if (!existsSync(this.directory)) return [];
    return readdirSync(this.directory)
      .filter((name) => SNAPSHOT_NAME.test(name))
      .sort();
  }

  /** What pruning never removes: the snapshot latest points at; with no latest yet, the newest one. */
  protectedSnapshot(): string | undefined {
    return this.latest() ?? this.snapshots().at(-1);
  }

  /** The pieces of files an interrupted rsync kept for resuming (its partial-dir): the first to go on a full disk. */
  dropPartialData(): void {
    const drop = (directory: string): void => {
      if (!existsSync(directory)) return;
      for (const entry of readdirSync(directory, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const path = join(directory, entry.name);
        if (entry.name === RSYNC_PARTIAL_DIR) rmSync(path, { recursive: true, force: true });
        else drop(path);
      }
    };
    drop(this.partial);
  }

  /** The snapshot `latest` points at: the newest verified one. */
  latest(): string | undefined {
    try {
      const target = readlinkSync(this.latestLink);
      return SNAPSHOT_NAME.test(target) ? target : undefined;
    } catch {
      return undefined;
    }
  }

  path(snapshot: string): string {
    return join(this.directory, snapshot);
  }

  /** `<snapshot>.xxh64`: every file of the snapshot with its XXH64, as `xxh64sum -c` reads it. */
  manifest(snapshot: string): string {
    return `${this.path(snapshot)}.xxh64`;
  }

  /**
   * The manifest lines of just the files a snapshot's pull read, every other file being a hard link into the
   * snapshot it was pulled after (`newAfter` in its facts): what the scrub reads of it while that one is kept.
   */
  newFiles(snapshot: string): string {
    return join(this.directory, `.${snapshot}.new.xxh64`);
  }

  /** A .partial with something in it: an earlier pull that was cut off (one that failed before copying left it empty). */
  hasPartial(): boolean {
    return existsSync(this.partial) && readdirSync(this.partial).length > 0;
  }

  /** The source's directory in the store (which exists: the store was checked). Not recursive: on a read-only store
   * a recursive mkdir says ENOENT, where this one says EROFS. */
  prepare(): void {
    try {
      mkdirSync(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }

  /** The snapshot name for a pull at this time; a second pull in the same second takes the next free second. */
  freeName(date: Date): string {
    for (let seconds = 0; ; seconds++) {
      const name = snapshotName(new Date(date.getTime() + seconds * 1000));
      if (!existsSync(this.path(name)) && !existsSync(this.manifest(name))) return name;
    }
  }

  /** `.partial` becomes a complete snapshot in one rename, made durable before anything points at it. */
  complete(snapshot: string): string {
    const target = this.path(snapshot);
    if (existsSync(target)) throw new Error(`a snapshot ${target} already exists: freeName gives names that are not taken`);
    renameSync(this.partial, target);
    fsyncDirectory(this.directory);
    return target;
  }

  /** `latest` moves in one rename of a new symlink over the old one. */
  promote(snapshot: string): void {
    const temp = join(this.directory, '.latest.tmp');
    rmSync(temp, { force: true });
    symlinkSync(snapshot, temp);
    renameSync(temp, this.latestLink);
    fsyncDirectory(this.directory);
  }

  /**
   * A snapshot disappears in one rename first, so a power cut mid-delete never leaves a half snapshot under a
   * snapshot's name; leftovers of such a cut are removed by the next call.
   */
  async remove(snapshot: string, programs: Programs): Promise<void> {
    const doomed = join(this.directory, `.removing-${snapshot}`);
    renameSync(this.path(snapshot), doomed);
    rmSync(this.manifest(snapshot), { force: true });
    rmSync(this.newFiles(snapshot), { force: true });
    fsyncDirectory(this.directory);
    await this.removeLeftovers(programs);
  }

  /**
   * What a cut left: half-removed snapshots, manifests (and new-file lists) whose snapshot was never renamed into
   * place, and the temp files of atomic writes (`.<name>.<pid>.tmp`).
   */
  async removeLeftovers(programs: Programs): Promise<void> {
    // A source never pulled yet (a laptop that has not been on the network at a wake) has no folder.
    if (!existsSync(this.directory)) return;
    const names = new Set(readdirSync(this.directory));
    for (const name of names) {
      const newFilesOf = /^\.(.+)\.new\.xxh64$/.exec(name)?.[1];
      const orphanManifest = newFilesOf ? !names.has(newFilesOf) : name.endsWith('.xxh64') && !names.has(name.slice(0, -'.xxh64'.length));
      const atomicTemp = /^\..+\.\d+\.tmp$/.test(name);
      if (name.startsWith('.removing-')) {
        const error = await removeTree(programs, join(this.directory, name));
        if (error) throw new OdbackupError('storageWriteFailed', `${this.name}: could not remove ${name}: ${error}`, 'the next pass tries again');
      } else if (orphanManifest || atomicTemp) rmSync(join(this.directory, name), { force: true });
    }
  }
}
