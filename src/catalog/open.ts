import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { namedSource, selectSources } from '../config/sources.js';
import type { Context } from '../context.js';
import { OdbackupError } from '../errors.js';
import { storeSnapshots, type SnapshotSet } from '../store/catalog.js';
import { readableStore } from '../store/mount.js';
import type { ByteName } from '../store/names.js';
import { SourceStore } from '../store/snapshots.js';
import { CATALOG_VERSION, parseCatalogLine, type CatalogEntry, type CatalogIndex, type PublishedSource } from './format.js';

export interface CatalogOption {
  catalog?: string;
}

/** What `snapshots`, `find`, `versions` and `diff` take to read a copy of the catalog instead of the store. */
export const CATALOG_OPTION = {
  flags: '--catalog <dir>',
  description: "read a copy of the published catalog (a node's folder, or the top folder when one node publishes there): no store, no configuration, no root",
} as const;

export interface SnapshotSets {
  /** A group or a source, or all of them. */
  select(target: string | undefined): SnapshotSet[];
  named(name: string): SnapshotSet;
}

/** The snapshots the catalog commands read: the store's (the configuration's sources), or a published catalog's. */
export async function openSnapshotSets(ctx: Context, catalog: string | undefined): Promise<SnapshotSets> {
  if (catalog) return catalogSets(readCatalogIndex(catalog));
  await readableStore(ctx, false);
  const facts = ctx.state.read().snapshots ?? {};
  const open = (name: string) => storeSnapshots(new SourceStore(ctx.config.storage.path, name), facts[name]);
  return {
    select: (target) => selectSources(ctx.config.sources, target).map((source) => open(source.name)),
    named: (name) => open(namedSource(ctx.config.sources, name).name),
  };
}

export interface OpenedCatalog {
  directory: string;
  index: CatalogIndex;
}

/** A node's index.json, from its folder or from the top folder that holds one node. */
export function readCatalogIndex(path: string): OpenedCatalog {
  const directory = resolve(path);
  const refuse = (why: string, hint?: string) => new OdbackupError('usage', `${directory} is not an odbackup catalog: ${why}`, hint);
  if (!existsSync(join(directory, 'index.json')) && existsSync(join(directory, 'nodes.json'))) {
    const nodes = readJson<string[]>(join(directory, 'nodes.json'), refuse).filter((node) => existsSync(join(directory, node, 'index.json')));
    if (nodes.length !== 1) throw refuse(`it holds ${nodes.length} nodes (${nodes.join(', ')})`, `give one: --catalog ${join(directory, nodes[0] ?? '<node>')}`);
    return readCatalogIndex(join(directory, nodes[0]!));
  }
  if (!existsSync(join(directory, 'index.json'))) throw refuse('no index.json', "copy the catalog's folder, or the node's folder in it");
  const index = readJson<CatalogIndex>(join(directory, 'index.json'), refuse);
  if (index.version !== CATALOG_VERSION || !Array.isArray(index.sources)) throw refuse(`index.json is not version ${CATALOG_VERSION}`);
  return { directory, index };
}

function readJson<T>(file: string, refuse: (why: string) => Error): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw refuse(`${file}: ${(error as Error).message}`);
  }
}

/** What a data file that cannot be read or decompressed is, whichever way it is read. */
function unreadable(file: string, error: unknown): OdbackupError {
  return new OdbackupError('manifestMissing', `the catalog's ${file} cannot be read: ${(error as Error).message}`, 'copy the catalog again');
}

/** One line of a data file, or the error naming the file and the line. */
function entryAt(file: string, line: string, number: number): CatalogEntry {
  const entry = parseCatalogLine(line);
  if (!entry) throw new OdbackupError('manifestMissing', `${file}: line ${number} is not a catalog line`);
  return entry;
}

/** Every entry of one published snapshot, in walk order. */
export function* catalogEntries(directory: string, data: string): Generator<CatalogEntry> {
  const file = join(directory, data);
  let text: string;
  try {
    text = gunzipSync(readFileSync(file)).toString('utf8');
  } catch (error) {
    throw unreadable(file, error);
  }
  let number = 0;
  for (let start = 0, end = text.indexOf('\n'); end >= 0; start = end + 1, end = text.indexOf('\n', start)) yield entryAt(file, text.slice(start, end), ++number);
}

/**
 * The same entries streamed through gunzip: what a pass reads (the previous night's data, for tonight's), without
 * a snapshot's whole text in memory (80 MB at a million files).
 */
export async function* streamCatalogEntries(directory: string, data: string): AsyncGenerator<CatalogEntry> {
  const file = join(directory, data);
  const gunzip = createGunzip();
  createReadStream(file)
    .on('error', (error) => gunzip.destroy(error))
    .pipe(gunzip)
    .setEncoding('utf8');
  let pending = '';
  let number = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<string>) {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const line of lines) yield entryAt(file, line, ++number);
    }
  } catch (error) {
    throw error instanceof OdbackupError ? error : unreadable(file, error);
  } finally {
    gunzip.destroy();
  }
}

function catalogSets({ directory, index }: OpenedCatalog): SnapshotSets {
  const open = (source: PublishedSource): SnapshotSet => {
    const data = (snapshot: string) => {
      const found = source.snapshots.find((row) => row.snapshot === snapshot);
      if (!found) throw new OdbackupError('usage', `${source.name} has no snapshot ${snapshot} in the catalog`);
      return found.data;
    };
    return {
      name: source.name,
      snapshots: () => source.snapshots.map((row) => row.snapshot),
      latest: () => source.snapshots.find((row) => row.latest)?.snapshot,
      entries: (snapshot) => catalogEntries(directory, data(snapshot)),
      lookup(snapshot, name: ByteName) {
        for (const entry of catalogEntries(directory, data(snapshot))) if (entry.name === name) return entry.hash;
        return undefined;
      },
      describe: () => source.snapshots.map(({ data: _data, ...row }) => row),
    };
  };
  return {
    select: (target) => selectSources(index.sources, target).map(open),
    named: (name) => open(namedSource(index.sources, name)),
  };
}
