import { CATALOG_OPTION, openSnapshotSets, type CatalogOption } from '../catalog/open.js';
import { localTime } from '../power/schedule.js';
import { table, formatBytes, heading } from '../render.js';
import { counted } from '../words.js';
import type { SnapshotRow } from '../store/catalog.js';
import { ok, type Step } from './types.js';

export const snapshotsStep: Step<CatalogOption> = {
  name: 'snapshots',
  summary: 'list the complete snapshots of each source, newest first: files, bytes, new bytes, latest, verified',
  arguments: [{ name: 'source', description: 'one source or group (default: all)' }],
  options: [CATALOG_OPTION],
  locked: false,
  async run(ctx, { args: [target], options }) {
    const sets = (await openSnapshotSets(ctx, options.catalog)).select(target);
    const rows = sets.flatMap((set) => set.describe().reverse());
    const count = sets.length === 1 ? `${sets[0]!.name}: ` : '';
    return ok(`${count}${counted(rows.length, 'snapshot')}`, { snapshots: rows });
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
