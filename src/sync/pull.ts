import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, rmSync, utimesSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { classifyRsyncFailure, isTransferredFile, runRsync, type RsyncFailureKind, type RsyncRequest } from '../adapters/rsync.js';
import { updateMirror } from '../adapters/git.js';
import { mirrorName } from '../config/sources.js';
import type { Source } from '../config/types.js';
import { OdbackupError } from '../errors.js';
import { pause } from '../pause.js';
import { formatBytes } from '../render.js';
import type { ExitCodeName } from '../exit-codes.js';
import type { Context } from '../context.js';
import { flushFilesystem } from '../adapters/storage.js';
import { assertStoreWritable } from '../store/device.js';
import type { HashPool } from '../hash/pool.js';
import { walkFiles, writeManifest, type ManifestStats, type PreviousSnapshot, type WalkedFile } from '../store/manifest.js';
import { bytePath, nameBytes, readRecords, shownName, type ByteName } from '../store/names.js';
import { oldestRemovable } from '../store/pressure.js';
import { SourceStore } from '../store/snapshots.js';
import { missingExpectedFiles } from './expected.js';
import { integrityProblems } from './integrity.js';
import { healRot } from '../verify/heal.js';

export interface PullResult {
  source: string;
  /** The snapshot made (absent on a dry run); latest moves to it only after verify (the promote step). */
  snapshot?: string;
  resumed: boolean;
  manifest?: ManifestStats;
  added: number;
  changed: number;
  bytes: number;
  attempts: number;
}

const RSYNC_FAILURE_CODE: Record<RsyncFailureKind, ExitCodeName> = {
  unreachable: 'sourceUnreachable',
  sourceMissing: 'sourceUnreachable',
  diskFull: 'diskFull',
  storeReadOnly: 'storageWriteFailed',
  transfer: 'rsyncFailed',
};

/** Collects the paths of the files rsync wrote, straight to a NUL-separated list on disk. */
class TransferLog {
  private readonly fd: number;
  added = 0;
  changed = 0;
  bytes = 0;

  constructor(
    readonly path: string,
    private readonly previous: string | undefined,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w', 0o600);
  }

  /** Names not yet written: one write per 64 KiB, not one per file (a first pass lists every file). */
  private pending = '';

  add(name: ByteName, size: number): void {
    this.pending += `${name}\0`;
    if (this.pending.length >= 65_536) this.flush();
    this.bytes += size;
    if (this.previous && existsSync(bytePath(this.previous, name))) this.changed++;
    else this.added++;
  }

  private flush(): void {
    writeSync(this.fd, nameBytes(this.pending));
    this.pending = '';
  }

  close(): void {
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

/**
 * After a pass was cut off, rsync skips what the cut-off pass already wrote into .partial, so its itemized
 * list is incomplete: the files written are those that are not hard links into a snapshot it linked from.
 */
function* filesNotLinkedFrom(directory: string, linked: readonly string[]): Generator<WalkedFile> {
  for (const file of walkFiles(directory)) if (!linked.some((dir) => inodeOf(bytePath(dir, file.name)) === file.ino)) yield file;
}

function inodeOf(path: Buffer): number | undefined {
  try {
    return lstatSync(path).ino;
  } catch {
    return undefined;
  }
}

/** How much of the previous snapshot a pull may lose before it is taken for a source that was not there (45). */
function shrinkage(source: Source, before: { files: number; bytes: number } | undefined, after: ManifestStats): string | undefined {
  if (!before || before.files === 0) return undefined;
  if (after.files === 0) return `the source is empty (the previous snapshot had ${before.files} files): was it mounted?`;
  const lost = (was: number, now: number) => (was > 0 ? ((was - now) / was) * 100 : 0);
  const files = lost(before.files, after.files);
  const bytes = lost(before.bytes, after.totalBytes);
  if (Math.max(files, bytes) <= source.maxShrinkPercent) return undefined;
  return `the source shrank: ${after.files} files, ${formatBytes(after.totalBytes)} against ${before.files} files, ${formatBytes(before.bytes)} in the previous snapshot (more than ${source.maxShrinkPercent}% lost)`;
}

async function mirrorRepositories(ctx: Context, source: Extract<Source, { kind: 'git' }>, store: SourceStore): Promise<string> {
  const mirrors = join(store.directory, '.mirror');
  mkdirSync(mirrors, { recursive: true });
  for (const url of source.repositories) {
    const error = await updateMirror(ctx.config.system.programs.git, url, join(mirrors, mirrorName(url)), ctx.signal);
    if (error) throw new OdbackupError('gitFailed', `${source.name}: mirror of ${url} failed: ${error}`);
  }
  return mirrors;
}

/**
 * A file that an earlier attempt (a cut-off pass, a failed try) wrote may have been rewritten at the source since,
 * with the same size within the same second: rsync's quick check would keep the stale copy. Those files alone are
 * compared by content first (`--checksum --files-from`: over ssh only block checksums cross the network), and
 * what differs is fetched again. Should that comparison fail, they are dated to the epoch: the pull copies them.
 */
async function recheckEarlierWrites(ctx: Context, name: string, pull: RsyncRequest, linkDests: readonly string[], result: PullResult): Promise<void> {
  if (!existsSync(pull.to)) return;
  const list = join(ctx.config.stateDir, 'transfers', `${name}.recheck`);
  const written = new TransferLog(list, undefined);
  for (const file of filesNotLinkedFrom(pull.to, linkDests)) written.add(file.name, file.size);
  written.close();
  if (written.added === 0) return;
  let fetched = 0;
  const run = await runRsync(
    ctx.config.system.programs.rsync,
    { from: pull.from, to: pull.to, ssh: pull.ssh, bwlimit: pull.bwlimit, timeout: pull.timeout, checksum: true, filesFrom: list, purpose: 'compare' },
    {
      signal: ctx.signal,
      onChange(change) {
        if (!isTransferredFile(change)) return;
        fetched++;
        result.changed++;
        result.bytes += change.size;
      },
    },
  );
  // Gone at the source (or rsync's own temp file, left by a kill): the pull deletes those.
  const compared = run.exitCode === 0 || (run.exitCode === 23 && run.stderr.split('\n').every((line) => !line.startsWith('rsync: ') || / failed: No such file or directory/.test(line)));
  if (!compared) for (const file of transferredNames(list)) utimesSync(bytePath(pull.to, file), 0, 0);
  const outcome = compared ? `${fetched} differed and were fetched again` : 'the comparison failed: the pull copies them again';
  ctx.log.info(`${name}: ${written.added} files written before the cut compared by content with the source: ${outcome}`);
}

/**
 * Pulls one source into a new snapshot (SPEC §3): .partial, checks, manifest, rename. The hash threads are the
 * pass's (`pool`): pulls running at once share them, so four pulls hold no more threads than one.
 */
export async function pullSource(ctx: Context, source: Source, pool: HashPool): Promise<PullResult> {
  const config = ctx.config;
  await assertStoreWritable(config);
  const store = new SourceStore(config.storage.path, source.name);
  const previousSnapshot = store.latest();
  const previous = previousSnapshot && store.path(previousSnapshot);
  // The newest complete snapshot too: a node whose verify keeps failing must not copy every change again nightly.
  const newest = store.snapshots().at(-1);
  const linkDests = [previousSnapshot, newest]
    .filter((name, index, all): name is string => Boolean(name) && all.indexOf(name) === index)
    .map((name) => store.path(name));
  const result: PullResult = { source: source.name, resumed: store.hasPartial(), added: 0, changed: 0, bytes: 0, attempts: 0 };
  if (!ctx.dryRun) {
    store.prepare();
    await store.removeLeftovers(config.system.programs);
  }
  if (result.resumed) ctx.log.notice(`${source.name}: resuming into ${store.partial}, left by an interrupted pass`);
  // Before the pull links from latest: a rotten file hard-linked forward is healed first, or it would be linked again.
  if (source.kind === 'rsync') await healRot(ctx, source, store);

  const from = source.kind === 'git' ? (ctx.dryRun ? join(store.directory, '.mirror') : await mirrorRepositories(ctx, source, store)) : source.from;
  const request: RsyncRequest = {
    from,
    to: store.partial,
    ssh: source.kind === 'rsync' ? source.ssh : undefined,
    linkDests,
    include: source.include,
    exclude: source.exclude,
    bwlimit: source.bwlimit,
    timeout: source.timeout,
    dryRun: ctx.dryRun,
    progress: process.stderr.isTTY && !ctx.dryRun,
    // With one link source, every file rsync did not write is a hard link into it; with none, rsync wrote every file:
    // its list (with sizes) and the previous manifest describe the snapshot, and the manifest's walk needs no lstat
    // (writeManifest).
    listEveryFile: linkDests.length <= 1 && !ctx.dryRun,
  };
  const listPath = join(ctx.config.stateDir, 'transfers', `${source.name}.files`);
  /** The size of every regular file rsync listed, in its last attempt (each lists the whole tree). */
  let listedBytes: number | undefined;
  for (;;) {
    result.attempts++;
    if (!ctx.dryRun && (result.resumed || result.attempts > 1)) await recheckEarlierWrites(ctx, source.name, request, linkDests, result);
    listedBytes = request.listEveryFile ? 0 : undefined;
    const log = ctx.dryRun ? undefined : new TransferLog(listPath, previous);
    const run = await runRsync(config.system.programs.rsync, request, {
      signal: ctx.signal,
      onProgress: (line) => ctx.log.progress(`${source.name}: ${line}`),
      onChange(change) {
        if (listedBytes !== undefined && change.flags[1] === 'f') listedBytes += change.size;
        if (!isTransferredFile(change)) return;
        if (log) log.add(change.name, change.size);
        else {
          result.added++;
          result.bytes += change.size;
        }
      },
    });
    log?.close();
    // What this pass transferred, over all its attempts (the list for the copy check is the tree's, below).
    if (log) Object.assign(result, { added: result.added + log.added, changed: result.changed + log.changed, bytes: result.bytes + log.bytes });
    if (run.exitCode === 0 || run.exitCode === 24) {
      if (run.exitCode === 24) ctx.log.warn(`${source.name}: some source files vanished during the transfer`);
      break;
    }
    if (run.notFound) throw new OdbackupError('rsyncFailed', `${source.name}: ${config.system.programs.rsync} is not installed`, 'apt-get install rsync');
    if (run.cancelled || ctx.signal.aborted) throw new OdbackupError('interrupted', `${source.name}: transfer stopped by a signal; the next pass resumes it`);
    const failure = classifyRsyncFailure(run);
    // A full store heals itself (SPEC §3): the pieces of interrupted files go first, then the oldest snapshots
    // (never latest), one at a time, as long as there is one to remove; only then is it 13.
    if (failure.kind === 'diskFull') {
      store.dropPartialData();
      const oldest = oldestRemovable(
        config.storage.path,
        config.sources.map((each) => each.name),
      );
      if (oldest) {
        ctx.log.warn(`${source.name}: the store is full: removing the oldest snapshot, ${oldest.store.name} ${oldest.snapshot}, to make room`);
        await oldest.store.remove(oldest.snapshot, config.system.programs);
        continue;
      }
    }
    const attemptsLeft = source.retries - (result.attempts - 1);
    if (!failure.retryable || attemptsLeft <= 0) {
      throw new OdbackupError(
        RSYNC_FAILURE_CODE[failure.kind],
        `${source.name}: ${failure.message}`,
        result.attempts > 1 ? `tried ${result.attempts} times` : undefined,
        failure.lines,
      );
    }
    const delay = Math.min(60, 2 ** result.attempts) * 1000;
    ctx.log.warn(`${source.name}: ${failure.message}; retrying in ${delay / 1000}s (${attemptsLeft} left)`);
    await pause(delay, ctx.signal);
  }
  if (ctx.dryRun) return result;

  // A retry, like a resumed pass, skips what the attempt before it wrote: ask the tree, not rsync's list.
  if (result.resumed || result.attempts > 1) {
    const written = filesNotLinkedFrom(store.partial, linkDests);
    const log = new TransferLog(listPath, previous);
    for (const file of written) log.add(file.name, file.size);
    log.close();
  }

  const missing = await missingExpectedFiles(store.partial, source.expect, ctx.now());
  if (missing.length > 0) {
    throw new OdbackupError(
      'expectedFileMissing',
      `${source.name}: expected ${missing.map((file) => `"${file}"`).join(', ')} not found at ${source.kind === 'rsync' ? source.from : 'the mirror'}`,
      "has the source produced today's dump?",
    );
  }
  const problems = await integrityProblems(store.partial, transferredNames(listPath), source.integrity);
  if (problems.length > 0) {
    throw new OdbackupError(
      'sourceIntegrity',
      `${source.name}: ${shownName(problems[0]!.file)}: ${problems[0]!.problem}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
      'the snapshot is not promoted; latest stays on the previous one',
    );
  }

  // Each durable before the next (SPEC §3): the data, then its manifest, then the snapshot's name, then latest.
  // Without this flush a power cut within the kernel's 30 s write-back leaves named snapshots of empty files. The
  // write-back runs while the manifest is hashed (a large pull: seconds of each); the manifest waits for it.
  const dataDurable = flushFilesystem(config.system.programs, store.partial, ctx.signal).then((flushError) => {
    if (flushError)
      throw new OdbackupError(
        'storageWriteFailed',
        `${source.name}: writing back ${store.partial} failed: ${flushError}`,
        'the snapshot is not named; the disk may be failing: `odbackup check`, `journalctl -k`',
      );
  });
  // Handled here as well: a manifest that fails first is the pull's error, and the write-back still ends before
  // the pull does (it holds the store open: the next step may unmount it).
  const flushed = dataDurable.catch(() => undefined);
  const snapshot = store.freeName(ctx.now());
  const previousManifest = previousSnapshot && store.manifest(previousSnapshot);
  // Unchanged files take their hash from the previous manifest: then only what is new is read (and counted as new bytes).
  const usable: PreviousSnapshot | undefined =
    previousManifest && existsSync(previousManifest)
      ? {
          dir: previous!,
          manifest: previousManifest,
          // What this pull wrote: as many names as it changed.
          written: listedBytes === undefined ? undefined : new Set(transferredNames(listPath)),
          newFiles: store.newFiles(snapshot),
        }
      : undefined;
  // A list of new files left under this name by a pass that was cut off must not stand for this snapshot.
  if (!usable) rmSync(store.newFiles(snapshot), { force: true });
  try {
    result.manifest = await writeManifest(store.partial, store.manifest(snapshot), pool, usable, dataDurable, listedBytes);
  } finally {
    await flushed;
  }
  const known = ctx.state.read();
  const before = known.sources?.[source.name];
  const shrunk = shrinkage(source, before?.files === undefined ? undefined : { files: before.files, bytes: before.totalBytes ?? 0 }, result.manifest);
  const accepted = shrunk !== undefined && known.shrinkAccepted?.[source.name] !== undefined;
  if (shrunk && !accepted) {
    rmSync(store.manifest(snapshot), { force: true });
    throw new OdbackupError(
      'sourceShrank',
      `${source.name}: ${shrunk}`,
      `not promoted: latest stays on ${previousSnapshot ?? 'none'}; if it shrank on purpose, \`odbackup sync ${source.name} --accept-shrink\` takes it once`,
    );
  }
  store.complete(snapshot);
  if (accepted) {
    ctx.state.takeShrink(ctx.runId, source.name, `${snapshot} taken as accepted: ${shrunk}`);
    ctx.log.notice(`${source.name}: ${shrunk}: taken once, as accepted; the guard is armed again`);
  }
  result.snapshot = snapshot;
  ctx.state.recordPull(
    source.name,
    {
      snapshot,
      runId: ctx.runId,
      pulledAt: ctx.now().toISOString(),
      added: result.added,
      changed: result.changed,
      bytes: result.bytes,
      files: result.manifest.files,
      totalBytes: result.manifest.totalBytes,
      transferredList: listPath,
    },
    { files: result.manifest.files, bytes: result.manifest.totalBytes, newBytes: result.manifest.bytesRead, newAfter: usable ? previousSnapshot : undefined },
    store.snapshots(),
  );
  return result;
}

/** The names in a pull's transfer list (`<stateDir>/transfers/<source>.files`), streamed. */
export function transferredNames(path: string): Generator<ByteName> {
  return readRecords(path, '\0');
}
