import { existsSync, lstatSync } from 'node:fs';
import { isTransferredFile, runRsync } from '../adapters/rsync.js';
import type { Source } from '../config/types.js';
import { OdbackupError } from '../errors.js';
import { lastLine } from '../exec.js';
import type { ExitCodeName } from '../exit-codes.js';
import type { FileHash, HashPool } from '../hash/pool.js';
import { manifestOf } from '../store/catalog.js';
import { readManifest } from '../store/manifest.js';
import { bytePath } from '../store/names.js';
import type { SourceStore } from '../store/snapshots.js';

export interface Problem {
  source: string;
  file: string;
  problem: string;
  code: ExitCodeName;
}

export interface CheckCount {
  files: number;
  bytes: number;
}

/** How many files are being hashed at once: enough to keep every worker busy, few enough to bound memory. */
const IN_FLIGHT = 1024;

/**
 * each(item) for every item, at most IN_FLIGHT at a time (a sliding window: one large file stalls nothing). A counter
 * and one waiting resolver: constant work per item, however wide the window. The first error is thrown at the end.
 */
export async function inBatches<T>(items: Iterable<T>, each: (item: T) => Promise<void>): Promise<void> {
  let running = 0;
  let failed: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const slotFreed = () => new Promise<void>((resolve) => (wake = resolve));
  for (const item of items) {
    while (running >= IN_FLIGHT) await slotFreed();
    if (failed) break;
    running += 1;
    each(item)
      .catch((error: unknown) => void (failed ??= { error }))
      .finally(() => {
        running -= 1;
        wake?.();
      });
  }
  while (running > 0) await slotFreed();
  if (failed) throw failed.error;
}

/** A file that cannot be read (EIO from a failing disk) is a finding, not a crash. */
export async function hashOf(pool: HashPool, path: Buffer): Promise<FileHash | { error: string }> {
  try {
    return await pool.hash(path);
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The manifest lines for just these files (what a pass transferred: bounded by what changed). */
export async function manifestHashes(manifest: string, wanted: ReadonlySet<string>): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const entry of readManifest(manifest)) if (wanted.has(entry.name)) found.set(entry.name, entry.hash);
  return found;
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
  sourceRoot: string,
  snapshotDir: string,
  files: readonly string[],
  expected: Map<string, string>,
  pool: HashPool,
  listFile: string,
  signal: AbortSignal,
): Promise<Problem[]> {
  if (source.kind === 'rsync' && source.ssh) return rsyncDifferences(rsync, source, snapshotDir, listFile, signal);
  const problems: Problem[] = [];
  await inBatches(files, async (file) => {
    const want = expected.get(file);
    if (!want) return;
    const path = bytePath(sourceRoot, file);
    if (!existsSync(path)) return; // gone at the source since the pull: nothing to compare with
    if ((await pool.hash(path)).hash !== want) problems.push({ source: source.name, file, problem: 'differs from the source', code: 'copyMismatch' });
  });
  return problems;
}

/**
 * The copy check (SPEC §4.1): every file the pull transferred, re-read from the store (after the read-only
 * remount: from the media) and compared with its manifest entry and with the source.
 */
export async function copyCheck(options: {
  /** The rsync program (system.programs.rsync), for an ssh source's side. */
  rsync: string;
  source: Source;
  sourceRoot: string;
  store: SourceStore;
  snapshot: string;
  transferred: readonly string[];
  listFile: string;
  pool: HashPool;
  signal: AbortSignal;
}): Promise<{ problems: Problem[]; count: CheckCount }> {
  const { source, store, snapshot, transferred, pool } = options;
  const dir = store.path(snapshot);
  const expected = await manifestHashes(manifestOf(store, snapshot), new Set(transferred));
  const problems: Problem[] = [];
  const count: CheckCount = { files: 0, bytes: 0 };
  await inBatches(transferred, async (file) => {
    const want = expected.get(file);
    if (!want) return void problems.push({ source: source.name, file, problem: 'is not in the manifest', code: 'manifestMissing' });
    const read = await hashOf(pool, bytePath(dir, file));
    if ('error' in read) return void problems.push({ source: source.name, file, problem: `cannot be read back: ${read.error}`, code: 'copyMismatch' });
    count.files++;
    count.bytes += read.bytes;
    if (read.hash !== want)
      problems.push({ source: source.name, file, problem: 'on the media differs from what was written (manifest)', code: 'copyMismatch' });
  });
  problems.push(...(await sourceDifferences(options.rsync, source, options.sourceRoot, dir, transferred, expected, pool, options.listFile, options.signal)));
  return { problems, count };
}

/**
 * Re-reads snapshot files against their manifests. `select` picks the entries (a scrub slice, or all);
 * with `seen`, an inode already read in this pass (a hard link in another snapshot) is not read again.
 */
export async function checkAgainstManifests(
  store: SourceStore,
  snapshots: readonly string[],
  pool: HashPool,
  select: (name: string) => boolean,
  seen: Set<number> | undefined,
  /** A local source directory to compare each file with as well (verify --full --against-source). */
  compareWith?: string,
): Promise<{ problems: Problem[]; count: CheckCount }> {
  const problems: Problem[] = [];
  const count: CheckCount = { files: 0, bytes: 0 };
  /** The selected entries not yet read in this pass, across all the snapshots. */
  function* toRead() {
    for (const snapshot of snapshots) {
      const dir = store.path(snapshot);
      for (const entry of readManifest(manifestOf(store, snapshot))) {
        if (!select(entry.name)) continue;
        if (seen) {
          let ino: number;
          try {
            ino = lstatSync(bytePath(dir, entry.name)).ino;
          } catch {
            problems.push({ source: store.name, file: `${snapshot}/${entry.name}`, problem: 'is missing', code: 'bitRot' });
            continue;
          }
          if (seen.has(ino)) continue;
          seen.add(ino);
        }
        yield { snapshot, dir, ...entry };
      }
    }
  }
  await inBatches(toRead(), async ({ snapshot, dir, name, hash }) => {
    const actual = await hashOf(pool, bytePath(dir, name));
    if ('error' in actual)
      return void problems.push({ source: store.name, file: `${snapshot}/${name}`, problem: `cannot be read: ${actual.error}`, code: 'bitRot' });
    count.files++;
    count.bytes += actual.bytes;
    if (actual.hash !== hash)
      problems.push({ source: store.name, file: `${snapshot}/${name}`, problem: 'differs from its manifest (bit rot?)', code: 'bitRot' });
    const original = compareWith && bytePath(compareWith, name);
    if (original && existsSync(original) && (await pool.hash(original)).hash !== hash) {
      problems.push({ source: store.name, file: `${snapshot}/${name}`, problem: 'differs from the source', code: 'copyMismatch' });
    }
  });
  return { problems, count };
}
