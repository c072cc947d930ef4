import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, lstatSync, mkdirSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { counted } from '../words.js';
import { join } from 'node:path';
import { runRsync } from '../adapters/rsync.js';
import type { Context } from '../context.js';
import type { RsyncSource } from '../config/types.js';
import { CHUNK, xxh64File } from '../hash/xxh64.js';
import type { RotRecord, State } from '../state/run-state.js';
import { bytePath, nameBytes, shownName } from '../store/names.js';
import type { SourceStore } from '../store/snapshots.js';

/** The snapshots whose copy of the file is the rotten inode (rsync's quick check hard-linked it forward). */
export function snapshotsSharing(store: SourceStore, record: RotRecord): string[] {
  const inode = (snapshot: string) => {
    try {
      return lstatSync(bytePath(store.path(snapshot), record.name)).ino;
    } catch {
      return undefined;
    }
  };
  const bad = inode(record.snapshot);
  return bad === undefined ? [] : store.snapshots().filter((snapshot) => inode(snapshot) === bad);
}

/** Writes the good bytes into the rotten inode itself: every snapshot that shares it has them at once; its times kept. */
function rewriteInPlace(target: Buffer, good: Buffer): void {
  const from = openSync(good, 'r');
  const to = openSync(target, 'r+');
  try {
    const times = fstatSync(to);
    const buffer = Buffer.allocUnsafe(CHUNK);
    let position = 0;
    for (let read = readSync(from, buffer, 0, CHUNK, null); read > 0; read = readSync(from, buffer, 0, CHUNK, null)) {
      for (let written = 0; written < read; ) written += writeSync(to, buffer, written, read - written, position + written);
      position += read;
    }
    ftruncateSync(to, position);
    futimesSync(to, times.atime, times.mtime);
    fsyncSync(to);
  } finally {
    closeSync(from);
    closeSync(to);
  }
}

/**
 * Rot that hard links carried forward (README: Storage and proof): before a source's pull, each file the scrub found
 * rotten is fetched again from the source; when the source still has the same content (its XXH64 is the manifest's),
 * the good bytes go into the rotten inode, and every snapshot that shared it is healed. Otherwise the file is kept as
 * one this node holds no good copy of, with the snapshots that share it. A source that cannot be reached leaves the
 * list for the next pull.
 */
export async function healRot(ctx: Context, source: RsyncSource, store: SourceStore): Promise<void> {
  const records = (ctx.state.read().rot?.[source.name] ?? []).filter((record) => !record.noGoodCopy);
  if (records.length === 0 || ctx.dryRun) return;
  const fetched = join(store.directory, '.heal');
  rmSync(fetched, { recursive: true, force: true });
  mkdirSync(fetched, { recursive: true });
  const list = join(ctx.config.stateDir, 'transfers', `${source.name}.heal`);
  mkdirSync(join(ctx.config.stateDir, 'transfers'), { recursive: true });
  writeFileSync(list, Buffer.concat(records.map((record) => Buffer.concat([nameBytes(record.name), Buffer.from([0])]))));
  try {
    const run = await runRsync(
      ctx.config.system.programs.rsync,
      { from: source.from, to: fetched, ssh: source.ssh, timeout: source.timeout, bwlimit: source.bwlimit, filesFrom: list, purpose: 'compare' },
      { signal: ctx.signal },
    );
    // 23: some of them are gone at the source; each is judged below.
    if (run.exitCode !== 0 && run.exitCode !== 23) {
      ctx.log.warn(`${source.name}: the ${records.length} rotten files could not be fetched again (rsync exit ${run.exitCode}); the next pull tries again`);
      return;
    }
    for (const record of records) {
      const good = bytePath(fetched, record.name);
      const sharedBy = snapshotsSharing(store, record);
      const name = shownName(record.name);
      const fromSource = existsSync(good) ? (await xxh64File(good)).hash : undefined;
      if (fromSource !== record.hash) {
        const why = fromSource === undefined ? 'the source no longer has it' : 'the source has changed it since';
        ctx.state.settleRot(ctx.runId, source.name, record, { healed: false, noGoodCopy: why, sharedBy });
        ctx.log.error(`${source.name}: ${name} is rotten in ${sharedBy.length} snapshots and ${why}: this node holds no good copy of it`);
        continue;
      }
      const target = bytePath(store.path(record.snapshot), record.name);
      rewriteInPlace(target, good);
      const now = (await xxh64File(target)).hash;
      if (now !== record.hash) {
        ctx.log.error(`${source.name}: ${name} was written again and still differs from its manifest: the disk may be failing`);
        continue;
      }
      const message = `${record.snapshot}/${name} healed from the source: the proven bytes are in ${counted(sharedBy.length, 'snapshot')} (${sharedBy.join(', ')})`;
      ctx.state.settleRot(ctx.runId, source.name, record, { healed: true, at: ctx.now().toISOString(), message });
      ctx.log.notice(`${source.name}: ${message}`);
    }
  } finally {
    rmSync(fetched, { recursive: true, force: true });
  }
}

/** Rot in words, for status and the heartbeat: healed since `since`, waiting for the next pull, or with no good copy. */
export function rotLines(state: State, since: string | undefined): string[] {
  const healed = (state.healed ?? []).filter((entry) => !since || entry.at >= since).map((entry) => `${entry.source}: ${entry.message}`);
  const open = Object.entries(state.rot ?? {}).flatMap(([source, records]) =>
    records.map((record) =>
      record.noGoodCopy
        ? `${source}: ${record.snapshot}/${shownName(record.name)} is rotten in ${record.sharedBy?.length ?? 1} snapshots and ${record.noGoodCopy}: this node holds no good copy`
        : `${source}: ${record.snapshot}/${shownName(record.name)} differs from its manifest; the next pull fetches it again from the source`,
    ),
  );
  return [...healed, ...open];
}
