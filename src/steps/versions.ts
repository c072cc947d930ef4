import { CATALOG_OPTION, openSnapshotSets, type CatalogOption } from '../catalog/open.js';
import { OdbackupError } from '../errors.js';
import { table } from '../render.js';
import { counted } from '../words.js';
import type { Version } from '../store/catalog.js';
import { pathInSnapshot } from '../store/names.js';
import { ok, type Step } from './types.js';

export const versionsStep: Step<CatalogOption> = {
  name: 'versions',
  summary: 'each distinct version of one file (by XXH64), numbered 1 = oldest, with the first and last snapshot holding it',
  arguments: [
    { name: 'source', description: 'the source', required: true },
    { name: 'path', description: 'the file, relative to the source (as `find` shows it)', required: true },
  ],
  options: [CATALOG_OPTION],
  locked: false,
  async run(ctx, { args: [sourceName, path], options }) {
    const name = pathInSnapshot(path!);
    const source = (await openSnapshotSets(ctx, options.catalog)).named(sourceName!);
    const versions = source.versions(name);
    if (versions.length === 0)
      throw new OdbackupError(
        'usage',
        `${source.name} has no file ${path} in any snapshot`,
        `\`odbackup find '*${path!.split('/').at(-1)}' --source ${source.name}\` looks for it`,
      );
    return ok(`${source.name} ${path}: ${counted(versions.length, 'version')}`, { source: source.name, path, versions });
  },
  render(result) {
    const { versions } = result.data as { versions: Version[] };
    return [
      result.message,
      table(
        ['version', 'xxh64', 'first snapshot', 'last snapshot', 'snapshots'],
        versions.map((version) => [String(version.number), version.hash, version.first, version.last, String(version.snapshots)]),
      ),
    ].join('\n');
  },
};
