import { CATALOG_OPTION, openSnapshotSets, type CatalogOption } from '../catalog/open.js';
import { table } from '../render.js';
import { counted } from '../words.js';
import { shownName } from '../store/names.js';
import { ok, type Step } from './types.js';

interface FindOptions extends CatalogOption {
  source?: string;
}

interface FoundRow {
  source: string;
  path: string;
  newest: string;
  versions: number;
}

export const findStep: Step<FindOptions> = {
  name: 'find',
  summary: 'find files by a glob across every snapshot: the newest snapshot that has each, and how many versions',
  arguments: [{ name: 'glob', description: 'e.g. "*.png" (any depth), "drawings/**/cat*" (from the source root)', required: true }],
  options: [{ flags: '-s, --source <source>', description: 'only this source' }, CATALOG_OPTION],
  locked: false,
  async run(ctx, { args: [glob], options }) {
    const sets = await openSnapshotSets(ctx, options.catalog);
    const stores = options.source ? [sets.named(options.source)] : sets.select(undefined);
    const found: FoundRow[] = stores.flatMap((store) => store.find(glob!)).map(({ source, name, newest, versions }) => ({ source, path: shownName(name), newest, versions }));
    return ok(`${counted(found.length, 'path')} match ${glob}`, { paths: found });
  },
  render(result) {
    const rows = (result.data as { paths: FoundRow[] }).paths;
    if (rows.length === 0) return result.message;
    return table(
      ['source', 'path', 'newest snapshot', 'versions'],
      rows.map((row) => [row.source, row.path, row.newest, String(row.versions)]),
    );
  },
};
