import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flushFilesystem } from '../adapters/storage.js';
import { classifyRsyncFailure, isTransferredFile, runRsync, type ItemizedChange } from '../adapters/rsync.js';
import { isRemoteLocation } from '../config/load.js';
import type { Config, Source } from '../config/types.js';
import type { Context } from '../context.js';
import { OdbackupError } from '../errors.js';
import type { ExitCodeName } from '../exit-codes.js';
import { HashPool, type Difference, type ExpectedFile } from '../hash/pool.js';
import { manifestOf, resolveSnapshot, storeSnapshots, type SnapshotSet } from '../store/catalog.js';
import { readManifest } from '../store/manifest.js';
import { bytePath, nameBytes, shownName, type ByteName } from '../store/names.js';
import { SourceStore } from '../store/snapshots.js';
import { formatBytes } from '../render.js';
import { counted } from '../words.js';
import { createStage, destinationEntries, dropStage, localDestination, moveIntoPlace } from './destination.js';

export interface RestoreRequest {
  source: Source;
  /** A file or directory in the snapshot; absent: the whole source. */
  path?: ByteName;
  /** A local directory or `[user@]host:/path`. */
  to: string;
  at?: string;
  /** A version as `versions` numbers it, or its XXH64. */
  version?: number;
  hash?: string;
  merge: boolean;
}

export interface RestorePlan {
  source: string;
  snapshot: string;
  to: string;
  remote: boolean;
  /** What is (or would be) written: every file, and whether it replaces one at the destination. */
  files: number;
  replaced: ByteName[];
  /** Set by a dry run: the files it would write. */
  wouldWrite?: ByteName[];
}

export interface RestoreOutcome extends RestorePlan {
  bytes: number;
}

interface Finding {
  name: ByteName;
  problem: string;
  code: ExitCodeName;
}

/** The snapshot to read: the version asked for (its newest snapshot), else --at (default latest). */
export function pickSnapshot(store: SnapshotSet, request: RestoreRequest): string {
  if (request.version === undefined && request.hash === undefined) return resolveSnapshot(store, request.at);
  const path = request.path;
  if (!path) throw new OdbackupError('usage', '--version and --hash pick a version of one file: give its path');
  if (request.at) throw new OdbackupError('usage', '--at and --version/--hash both choose the snapshot: give one of them');
  const versions = store.versions(path);
  const version = request.hash ? versions.find((candidate) => candidate.hash === request.hash!.toLowerCase()) : versions[request.version! - 1];
  if (!version) {
    const which = request.hash ? `with XXH64 ${request.hash}` : String(request.version);
    throw new OdbackupError(
      'usage',
      `${store.name} ${shownName(path)} has no version ${which} (${versions.length} known)`,
      `\`odbackup versions ${store.name} ${shownName(path)}\` lists them`,
    );
  }
  return version.last;
}

/** The manifest entries a restore writes: the path itself, or everything below it, or (no path) all. */
function* entriesOf(manifest: string, path: ByteName | undefined, dir = ''): Generator<ExpectedFile> {
  const wanted = (name: ByteName) => !path || name === path || name.startsWith(`${path}/`);
  for (const { name, hash } of readManifest(manifest, wanted)) yield { dir, name, hash };
}

function countEntries(manifest: string, path: ByteName | undefined): number {
  let count = 0;
  for (const _ of entriesOf(manifest, path)) count++;
  return count;
}

/** Every file hashed where it landed (read back) and compared with the manifest; a difference is checked in the store too. */
async function proveLocal(pool: HashPool, manifest: string, path: ByteName | undefined, stage: string, snapshotDir: string) {
  const restored = await pool.compare(entriesOf(manifest, path, stage));
  const findings: Finding[] = [];
  for (const { file, error } of restored.differences) {
    // Unreadable where it was restored: the store's own copy tells bit rot (or a link in its place) from a bad copy.
    const copyProblem = error ? `was not written: ${error}` : 'differs from its manifest where it was restored';
    const [stored] = (await pool.compare([{ ...file, dir: snapshotDir }])).differences;
    if (!stored) findings.push({ name: file.name, problem: copyProblem, code: 'restoreMismatch' });
    else findings.push(storedFinding(stored));
  }
  return { findings, bytes: restored.bytes };
}

/** A file that differs from its manifest in the store itself: bit rot (51). */
function storedFinding({ file, error }: Difference<ExpectedFile>): Finding {
  return { name: file.name, problem: error ? `cannot be read in the store: ${error}` : 'differs from its manifest in the store (bit rot)', code: 'bitRot' };
}

/** Before a remote restore sends anything: the store's files against the manifest. */
async function proveStored(pool: HashPool, manifest: string, path: ByteName | undefined, snapshotDir: string) {
  const stored = await pool.compare(entriesOf(manifest, path, snapshotDir));
  return { findings: stored.differences.map(storedFinding), bytes: stored.bytes };
}

function failWith(findings: Finding[], source: string, snapshot: string): never {
  const code = findings.some((finding) => finding.code === 'bitRot') ? 'bitRot' : 'restoreMismatch';
  const first = findings[0]!;
  const more = findings.length > 1 ? ` and ${findings.length - 1} more` : '';
  throw new OdbackupError(
    code,
    `${source} ${snapshot}/${shownName(first.name)} ${first.problem}${more}; nothing was put in place`,
    code === 'bitRot'
      ? '`odbackup verify --full` checks the whole store; an older snapshot may hold a good copy (`odbackup versions`)'
      : 'restore again; if it repeats, check the destination disk',
    findings.slice(0, 20).map((finding) => `${snapshot}/${shownName(finding.name)}: ${finding.problem}`),
  );
}

export interface RestoreRun {
  ctx: Context;
  request: RestoreRequest;
  dryRun: boolean;
  /** Refuse (2) a restore of more bytes than this (a restore request's limit), before anything is written. */
  maxBytes?: number;
}

/**
 * A restore (SPEC §11): rsync copies the paths from the snapshot (symlinks, modes and times as there, parents with
 * the snapshot's directory metadata); every file is proven against its manifest before anything is in place.
 * Local: staged inside the destination, flushed while read back and hashed, then renamed into place. Remote: the store's
 * files hashed first, sent with --delay-updates (rsync's own staging), then rsync's checksum dry run must find
 * nothing left to do.
 */
export async function restore({ ctx, request, dryRun, maxBytes }: RestoreRun): Promise<RestoreOutcome> {
  const { config } = ctx;
  const store = new SourceStore(config.storage.path, request.source.name);
  const snapshot = pickSnapshot(storeSnapshots(store), request);
  const manifest = manifestOf(store, snapshot);
  const files = countEntries(manifest, request.path);
  if (files === 0) {
    const what = request.path ? `no file ${shownName(request.path)}` : 'no file';
    throw new OdbackupError(
      'usage',
      `${store.name} snapshot ${snapshot} has ${what}; nothing is written`,
      '`odbackup find` looks for a path in every snapshot',
    );
  }
  if (maxBytes !== undefined) {
    let bytes = 0;
    for (const { name } of entriesOf(manifest, request.path)) bytes += lstatSync(bytePath(store.path(snapshot), name)).size;
    if (bytes > maxBytes)
      throw new OdbackupError('usage', `${store.name} ${snapshot}: ${files} files, ${formatBytes(bytes)}: more than the ${formatBytes(maxBytes)} a request may ask for`, 'restore it by hand: `odbackup restore`');
  }
  const listFile = writeRestoreList(config, request.path);
  const base = { source: store.name, snapshot, files };
  const run = { ctx, request, snapshotDir: store.path(snapshot), manifest, listFile };
  return isRemoteLocation(request.to) ? restoreRemote(run, base, dryRun) : restoreLocal(run, base, dryRun);
}

interface Prepared {
  ctx: Context;
  request: RestoreRequest;
  snapshotDir: string;
  manifest: string;
  listFile: string;
}

type Base = Pick<RestoreOutcome, 'source' | 'snapshot' | 'files'>;

/** rsync's --files-from: the one path (or `.`, everything), NUL-terminated; rsync walks below it. */
function writeRestoreList(config: Config, path: ByteName | undefined): string {
  const directory = join(config.stateDir, 'transfers');
  mkdirSync(directory, { recursive: true });
  const listFile = join(directory, 'restore.files');
  writeFileSync(listFile, Buffer.concat([nameBytes(path ?? '.'), Buffer.from([0])]));
  return listFile;
}

async function copy(prepared: Prepared, to: string, options: { dryRun?: boolean; checksum?: boolean } = {}): Promise<ItemizedChange[]> {
  const { ctx, request, snapshotDir, listFile } = prepared;
  const changes: ItemizedChange[] = [];
  const remote = isRemoteLocation(to);
  const result = await runRsync(
    ctx.config.system.programs.rsync,
    {
      from: snapshotDir,
      to,
      ssh: remote ? ctx.config.restore.ssh : undefined,
      purpose: 'restore',
      // A local restore stages in its own folder; a remote one has only rsync's staging.
      delayUpdates: remote,
      filesFrom: listFile,
      dryRun: options.dryRun,
      checksum: options.checksum,
      progress: process.stderr.isTTY && !options.dryRun,
    },
    {
      signal: ctx.signal,
      onChange: (change) => void (isTransferredFile(change) && changes.push(change)),
      onProgress: (line) => ctx.log.progress(`restore: ${line}`),
    },
  );
  if (result.exitCode !== 0) {
    const failure = classifyRsyncFailure(result);
    const code = /Input\/output error/.test(result.stderr) ? 'bitRot' : 'restoreFailed';
    throw new OdbackupError(
      code,
      `restore of ${request.source.name} to ${request.to}: ${failure.message.replace(/^source /, 'destination ')}; nothing was put in place`,
      undefined,
      failure.lines,
    );
  }
  return changes;
}

async function restoreLocal(prepared: Prepared, base: Base, dryRun: boolean): Promise<RestoreOutcome> {
  const { ctx, request, manifest, snapshotDir } = prepared;
  const destination = localDestination(request.to, ctx.config);
  const existing = destinationEntries(destination);
  if (existing.length > 0 && !request.merge)
    throw new OdbackupError(
      'usage',
      `the destination ${destination} is not empty (${counted(existing.length, 'entry', 'entries')}); nothing is written`,
      '--merge adds and replaces files but never deletes; or restore into an empty folder',
    );
  if (dryRun) {
    const wouldWrite = [...entriesOf(manifest, request.path)].map((entry) => entry.name);
    const replaced = wouldWrite.filter((name) => existsAt(destination, name));
    return { ...base, to: destination, remote: false, replaced, wouldWrite, bytes: 0 };
  }
  const { stage, createdDestination } = createStage(destination, String(process.pid));
  const pool = new HashPool();
  try {
    const written = await copy(prepared, stage);
    // The write-back (the disk's work) runs while the copy is read back and hashed (the cores' work, from the page
    // cache: the bytes being written back); both end before anything is put in place.
    const flushing = flushFilesystem(ctx.config.system.programs, stage, ctx.signal);
    const { findings, bytes } = await proveLocal(pool, manifest, request.path, stage, snapshotDir).finally(() => flushing);
    const flushError = await flushing;
    if (flushError) throw new OdbackupError('restoreFailed', `writing back ${stage} failed: ${flushError}; nothing was put in place`);
    if (written.length !== base.files && findings.length === 0)
      findings.push({
        name: request.path ?? '.',
        problem: `rsync wrote ${written.length} files where the manifest lists ${base.files}`,
        code: 'restoreMismatch',
      });
    if (findings.length > 0) failWith(findings, base.source, base.snapshot);
    const replaced = moveIntoPlace(stage, destination);
    await flushFilesystem(ctx.config.system.programs, destination, ctx.signal);
    return { ...base, to: destination, remote: false, replaced, bytes };
  } catch (error) {
    dropStage(stage, destination, createdDestination);
    throw error;
  } finally {
    await pool.close();
  }
}

function existsAt(destination: string, name: ByteName): boolean {
  try {
    lstatSync(bytePath(destination, name));
    return true;
  } catch {
    return false;
  }
}

async function restoreRemote(prepared: Prepared, base: Base, dryRun: boolean): Promise<RestoreOutcome> {
  const { request, manifest, snapshotDir } = prepared;
  // What rsync would write: a file it lists that is not new (`>f+++++++++`) replaces one at the destination.
  const planned = await copy(prepared, request.to, { dryRun: true });
  const replaced = planned.filter((change) => !change.flags.includes('+')).map((change) => change.name);
  if (replaced.length > 0 && !request.merge)
    throw new OdbackupError(
      'usage',
      `the destination ${request.to} already has ${replaced.length} of these files (${shownName(replaced[0]!)}…); nothing is written`,
      '--merge adds and replaces files but never deletes',
    );
  if (dryRun) return { ...base, to: request.to, remote: true, replaced, wouldWrite: planned.map((change) => change.name), bytes: 0 };
  const pool = new HashPool();
  try {
    const { findings, bytes } = await proveStored(pool, manifest, request.path, snapshotDir);
    if (findings.length > 0) failWith(findings, base.source, base.snapshot);
    await copy(prepared, request.to);
    const left = await copy(prepared, request.to, { dryRun: true, checksum: true });
    if (left.length > 0)
      failWith(
        left.map((change) => ({ name: change.name, problem: `differs at ${request.to} (rsync --checksum)`, code: 'restoreMismatch' })),
        base.source,
        base.snapshot,
      );
    return { ...base, to: request.to, remote: true, replaced, bytes };
  } finally {
    await pool.close();
  }
}
