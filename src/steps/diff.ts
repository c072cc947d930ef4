import { CATALOG_OPTION, openSnapshotSets, type CatalogOption } from '../catalog/open.js';
import { OdbackupError } from '../errors.js';
import { diffSnapshots, resolveSnapshot } from '../store/catalog.js';
import { shownName } from '../store/names.js';
import { ok, type Step } from './types.js';

interface DiffOptions extends CatalogOption {
  stat?: boolean;
}

interface DiffData {
  source: string;
  from: string;
  to: string;
  counts: { added: number; removed: number; changed: number };
  /** The paths (without --stat). */
  added?: string[];
  removed?: string[];
  changed?: string[];
}

export const diffStep: Step<DiffOptions> = {
  name: 'diff',
  summary: 'added, removed and changed files between two snapshots (default: the one before latest, and latest)',
  arguments: [
    { name: 'source', description: 'the source', required: true },
    { name: 'from', description: 'a snapshot, latest, or a day YYYY-MM-DD (default: the one before latest)' },
    { name: 'to', description: 'a snapshot, latest, or a day YYYY-MM-DD (default: latest)' },
  ],
  options: [{ flags: '--stat', description: 'only the counts' }, CATALOG_OPTION],
  locked: false,
  async run(ctx, { args: [sourceName, fromArg, toArg], options }) {
    const store = (await openSnapshotSets(ctx, options.catalog)).named(sourceName!);
    const to = resolveSnapshot(store, toArg);
    const from = fromArg
      ? resolveSnapshot(store, fromArg)
      : store
          .snapshots()
          .filter((name) => name < to)
          .at(-1);
    if (!from)
      throw new OdbackupError('usage', `${store.name} has no snapshot before ${to} to compare with`, 'name two snapshots: `odbackup snapshots` lists them');
    const difference = diffSnapshots(store, from, to);
    const counts = { added: difference.added.length, removed: difference.removed.length, changed: difference.changed.length };
    const paths = options.stat
      ? {}
      : { added: difference.added.map(shownName), removed: difference.removed.map(shownName), changed: difference.changed.map(shownName) };
    const data: DiffData = { source: store.name, from, to, counts, ...paths };
    return ok(`${store.name} ${from} → ${to}: ${counts.added} added, ${counts.removed} removed, ${counts.changed} changed`, data);
  },
  render(result) {
    const data = result.data as DiffData;
    const lines = [result.message];
    for (const [mark, names] of [
      ['+', data.added],
      ['-', data.removed],
      ['M', data.changed],
    ] as const)
      for (const name of names ?? []) lines.push(`${mark} ${name}`);
    return lines.join('\n');
  },
};
