import { existsSync, lstatSync } from 'node:fs';
import { isTransferredFile, runRsync } from '../adapters/rsync.js';
import type { Source } from '../config/types.js';
import { OdbackupError } from '../errors.js';
import { lastLine } from '../exec.js';
import type { ExitCodeName } from '../exit-codes.js';
import type { ExpectedFile, HashPool } from '../hash/pool.js';
import { manifestOf } from '../store/catalog.js';
import { lookupManifest, readManifest } from '../store/manifest.js';
import { transferredNames } from '../sync/pull.js';
import { bytePath } from '../store/names.js';
import type { SourceStore } from '../store/snapshots.js';

export interface Problem {
  source: string;
  file: string;
  problem: string;
  code: ExitCodeName;
  /** A file whose bytes differ from its manifest: what the next pull may heal (verify/heal.ts). */
  rotten?: { snapshot: string; name: string; hash: string };
}

export interface CheckCount {
  files: number;
  bytes: number;
}

/** rsync's own checksum comparison with an ssh source, of the listed files or (no list) the whole tree. */
export async function rsyncDifferences(
  rsync: string,
  source: Extract<Source, { kind: 'rsync' }>,
  snapshotDir: string,
  listFile: string | undefined,
  signal: AbortSignal,
): Promise<Problem[]> {
  const differing: string[] = [];
  const run = await runRsync(
    rsync,
    { from: source.from, to: snapshotDir, ssh: source.ssh, purpose: 'compare', checksum: true, dryRun: true, filesFrom: listFile },
    { signal, onChange: (change) => void (isTransferredFile(change) && differing.push(change.name)) },
  );
  if (run.exitCode !== 0 && run.exitCode !== 24)
    throw new OdbackupError('sourceUnreachable', `${source.name}: cannot compare with the source: ${lastLine(run.stderr) || `rsync exit ${run.exitCode}`}`);
  return differing.map((file) => ({ source: source.name, file, problem: 'differs from the source (rsync --checksum)', code: 'copyMismatch' }));
}

/** The source's side of the copy check: for a local source its own files' hashes; over ssh rsync's checksums. */
async function sourceDifferences(
  rsync: string,
  source: Source,
  snapshotDir: string,
  /** The transferred files below the local source's root. */
  files: Iterable<ExpectedFile>,
  pool: HashPool,
  listFile: string,
  signal: AbortSignal,
): Promise<Problem[]> {
  if (source.kind === 'rsync' && source.ssh) return rsyncDifferences(rsync, source, snapshotDir, listFile, signal);
  return (await pool.compare(files)).differences
    .filter(({ code }) => code !== 'ENOENT') // gone at the source since the pull: nothing to compare with
    .map(({ file }) => ({ source: source.name, file: file.name, problem: 'differs from the source', code: 'copyMismatch' }));
}

/** The same files below another directory. */
function* below<T extends ExpectedFile>(dir: string, files: Iterable<T>): Generator<T> {
  for (const file of files) yield { ...file, dir };
}

/**
 * The copy check (SPEC §4.1): every file the pull transferred, re-read from the store (after the read-only
 * remount: from the media) and compared with its manifest entry and with the source. Streamed from the manifest
 * lines of the files the pull read (the snapshot's list of new files, or the whole manifest of a first snapshot):
 * they include every file it transferred, and no file is held in memory.
 */
export async function copyCheck(options: {
  /** The rsync program (system.programs.rsync), for an ssh source's side. */
  rsync: string;
  source: Source;
  sourceRoot: string;
  store: SourceStore;
  snapshot: string;
  /** The pull's list of the files it transferred (NUL-separated names). */
  transferredList: string;
  pool: HashPool;
  signal: AbortSignal;
}): Promise<{ problems: Problem[]; count: CheckCount }> {
  const { source, store, snapshot, pool } = options;
  const dir = store.path(snapshot);
  const manifest = manifestOf(store, snapshot);
  const lines = existsSync(store.newFiles(snapshot)) ? store.newFiles(snapshot) : manifest;
  const files = function* (): Generator<ExpectedFile> {
    for (const { name, hash } of readManifest(lines)) yield { dir, name, hash };
  };
  const problems: Problem[] = [];
  const read = await pool.compare(files());
  for (const { file, error } of read.differences) {
    const problem = error ? `cannot be read back: ${error}` : 'on the media differs from what was written (manifest)';
    problems.push({ source: source.name, file: file.name, problem, code: 'copyMismatch' });
  }
  // Fewer lines than files transferred: one vanished before the manifest was written. Which: asked one by one.
  if (read.files < count(transferredNames(options.transferredList)))
    for (const name of transferredNames(options.transferredList))
      if (lookupManifest(manifest, name) === undefined) problems.push({ source: source.name, file: name, problem: 'is not in the manifest', code: 'manifestMissing' });
  problems.push(...(await sourceDifferences(options.rsync, source, dir, below(options.sourceRoot, files()), pool, options.transferredList, options.signal)));
  return { problems, count: { files: read.files, bytes: read.bytes } };
}

function count(items: Iterable<unknown>): number {
  let total = 0;
  for (const _ of items) total++;
  return total;
}

/**
 * Re-reads snapshot files against manifest lines (a whole manifest, or a snapshot's new files). `select` picks the
 * entries (a scrub slice, or all);
 * with `seen`, an inode already read in this pass (a hard link in another snapshot) is not read again.
 */
export async function checkAgainstManifests(
  store: SourceStore,
  lists: readonly { snapshot: string; manifest: string }[],
  pool: HashPool,
  select: (name: string) => boolean,
  seen: Set<number> | undefined,
  /** A local source directory to compare each file with as well (verify --full --against-source). */
  compareWith?: string,
): Promise<{ problems: Problem[]; count: CheckCount }> {
  const problems: Problem[] = [];
  /** The selected entries not yet read in this pass, across all the snapshots. */
  function* toRead(): Generator<ExpectedFile & { snapshot: string }> {
    for (const { snapshot, manifest } of lists) {
      const dir = store.path(snapshot);
      for (const { name, hash } of readManifest(manifest, select)) {
        if (seen) {
          let ino: number;
          try {
            ino = lstatSync(bytePath(dir, name)).ino;
          } catch {
            problems.push({ source: store.name, file: `${snapshot}/${name}`, problem: 'is missing', code: 'bitRot' });
            continue;
          }
          if (seen.has(ino)) continue;
          seen.add(ino);
        }
        yield { snapshot, dir, name, hash };
      }
    }
  }
  const read = await pool.compare(toRead());
  for (const { file, error, code } of read.differences) {
    const problem = code === 'ENOENT' ? 'is missing' : error ? `cannot be read: ${error}` : 'differs from its manifest (bit rot?)';
    const rotten = !error && !code ? { rotten: { snapshot: file.snapshot, name: file.name, hash: file.hash } } : {};
    problems.push({ source: store.name, file: `${file.snapshot}/${file.name}`, problem, code: 'bitRot', ...rotten });
  }
  if (compareWith) {
    const original = await pool.compare(below(compareWith, toRead()));
    for (const { file, code } of original.differences)
      if (code !== 'ENOENT')
        problems.push({ source: store.name, file: `${file.snapshot}/${file.name}`, problem: 'differs from the source', code: 'copyMismatch' });
  }
  return { problems, count: { files: read.files, bytes: read.bytes } };
}
