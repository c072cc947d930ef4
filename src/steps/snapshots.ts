import { sourcesFor } from '../config/sources.js';
import { localTime } from '../power/schedule.js';
import { formatBytes, heading, table } from '../render.js';
import { measureSnapshot } from '../store/catalog.js';
import { readableStore } from '../store/mount.js';
import { snapshotDate, SourceStore } from '../store/snapshots.js';
import { ok, type Step } from './types.js';

interface SnapshotRow {
  source: string;
  snapshot: string;
  /** The snapshot's time, ISO (its name is UTC). */
  time: string;
  files: number;
  bytes: number;
  newBytes: number;
  latest: boolean;
  /** verified: its copy check passed (it is or was latest); failed: its copy check found a difference; unknown: not recorded. */
  verified: 'verified' | 'failed' | 'unknown';
}

export const snapshotsStep: Step = {
  name: 'snapshots',
  summary: 'list the complete snapshots of each source, newest first: files, bytes, new bytes, latest, verified',
  arguments: [{ name: 'source', description: 'one source or group (default: all)' }],
  locked: false,
  async run(ctx, { args: [target] }) {
    const sources = sourcesFor(ctx.config, target);
    await readableStore(ctx, false);
    const facts = ctx.state.read().snapshots ?? {};
    const rows: SnapshotRow[] = [];
    for (const source of sources) {
      const store = new SourceStore(ctx.config.storage.path, source.name);
      const latest = store.latest();
      const names = store.snapshots();
      const ofSource: SnapshotRow[] = [];
      names.forEach((snapshot, index) => {
        const known = facts[source.name]?.[snapshot];
        const previous = names[index - 1];
        // Recorded by the pull, while the snapshot it was counted against is still the one before; else measured
        // from the directory (metadata only): snapshots pulled before sizes were recorded, or after a prune.
        const recorded = known?.files === undefined ? undefined : { files: known.files, bytes: known.bytes ?? 0, newBytes: known.newBytes ?? 0 };
        const size = !recorded
          ? measureSnapshot(store, snapshot, previous)
          : !previous
            ? { ...recorded, newBytes: recorded.bytes }
            : known!.newAfter === previous
              ? recorded
              : measureSnapshot(store, snapshot, previous);
        const verified = known?.copyCheck === 'failed' ? 'failed' : known?.copyCheck === 'passed' || snapshot === latest ? 'verified' : 'unknown';
        ofSource.push({ source: source.name, snapshot, time: snapshotDate(snapshot).toISOString(), ...size, latest: snapshot === latest, verified });
      });
      rows.push(...ofSource.reverse());
    }
    const count = sources.length === 1 ? `${sources[0]!.name}: ` : '';
    return ok(`${count}${rows.length} snapshot${rows.length === 1 ? '' : 's'}`, { snapshots: rows });
  },
  render(result) {
    const rows = (result.data as { snapshots: SnapshotRow[] }).snapshots;
    if (rows.length === 0) return 'no snapshot yet';
    return [
      heading(result.message),
      table(
        ['source', 'snapshot', 'local time', 'files', 'bytes', 'new', 'latest', 'verified'],
        rows.map((row) => [
          row.source,
          row.snapshot,
          localTime(new Date(row.time)),
          String(row.files),
          formatBytes(row.bytes),
          formatBytes(row.newBytes),
          row.latest ? 'latest' : '',
          row.verified === 'failed' ? 'copy check failed' : row.verified === 'verified' ? 'yes' : 'not recorded',
        ]),
      ),
    ].join('\n');
  },
};
