import { closeSync, constants, createReadStream, existsSync, openSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { namedSource, selectSources } from '../config/sources.js';
import type { Context } from '../context.js';
import { OdbackupError } from '../errors.js';
import { storeSnapshots, type SnapshotSet } from '../store/catalog.js';
import { readableStore } from '../store/mount.js';
import type { ByteName } from '../store/names.js';
import { SourceStore } from '../store/snapshots.js';
import { jsonStructureProblems, parseJsonText } from '../config/json-text.js';
import { SRC_DIR } from '../paths.js';
import { readUntrustedFile, utf8Text } from './untrusted.js';
import { parseCatalogLine, type CatalogEntry, type CatalogIndex, type PublishedSource } from './format.js';

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
  if (catalog) return catalogSets(await readCatalogIndex(catalog));
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

/** An index.json or nodes.json larger than this is not one a node wrote (30 snapshots of 100 sources are 2 MB). */
const MAX_INDEX_BYTES = 64 * 2 ** 20;
const NODES_SCHEMA = { type: 'array', maxItems: 1000, items: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$' } };

/**
 * A node's index.json, from its folder or from the top folder that holds one node. A catalog came from a web server:
 * it is read as untrusted input (a regular file, bounded, no duplicate keys) and must have the shape the shipped
 * schema (packaging/catalog/index.schema.json) gives, whose data paths stay inside the node's folder.
 */
export async function readCatalogIndex(path: string): Promise<OpenedCatalog> {
  const directory = resolve(path);
  const refuse = (why: string, hint?: string) => new OdbackupError('usage', `${directory} is not an odbackup catalog: ${why}`, hint);
  if (!existsSync(join(directory, 'index.json')) && existsSync(join(directory, 'nodes.json'))) {
    const listed = (await readJson(join(directory, 'nodes.json'), NODES_SCHEMA, refuse)) as string[];
    const nodes = listed.filter((node) => existsSync(join(directory, node, 'index.json')));
    if (nodes.length !== 1) throw refuse(`it holds ${nodes.length} nodes (${nodes.join(', ')})`, `give one: --catalog ${join(directory, nodes[0] ?? '<node>')}`);
    return readCatalogIndex(join(directory, nodes[0]!));
  }
  if (!existsSync(join(directory, 'index.json'))) throw refuse('no index.json', "copy the catalog's folder, or the node's folder in it");
  const schema = JSON.parse(readFileSync(new URL('../../packaging/catalog/index.schema.json', SRC_DIR), 'utf8')) as object;
  const index = (await readJson(join(directory, 'index.json'), schema, refuse)) as CatalogIndex;
  return { directory, index };
}

/** A JSON file of the catalog, read as untrusted input and checked against its schema; one line says what is wrong. */
async function readJson(file: string, schema: object, refuse: (why: string, hint?: string) => Error): Promise<unknown> {
  const name = basename(file);
  const read = readUntrustedFile(file, MAX_INDEX_BYTES);
  if ('problem' in read) throw refuse(`${name} ${read.problem}`);
  const text = utf8Text(read.bytes);
  if (text === undefined) throw refuse(`${name} is not UTF-8 text`);
  const parsed = parseJsonText(text);
  if (!('value' in parsed)) throw refuse(`${name} is not JSON${parsed.where ? ` (at ${parsed.where})` : ''}`);
  const structure = jsonStructureProblems(text, 16)[0];
  if (structure) throw refuse(`${name}: ${structure.path || 'the document'} ${structure.message}`);
  // Compiled only here: reading a catalog copy by hand is the one use, and the pass never pays for it.
  const { Ajv } = await import('ajv');
  const validate = new Ajv({ allErrors: false, strict: false }).compile(schema);
  if (!validate(parsed.value)) {
    const error = validate.errors![0]!;
    throw refuse(`${name}: ${error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : 'the document'} ${error.message}`, 'copy the catalog again from the web server');
  }
  return parsed.value;
}

/** A data file named inside the folder may still be a link out of it, or a FIFO: neither is followed nor waited on. */
const NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

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
    const fd = openSync(file, NO_FOLLOW);
    try {
      text = gunzipSync(readFileSync(fd)).toString('utf8');
    } finally {
      closeSync(fd);
    }
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
  let fd: number;
  try {
    fd = openSync(file, NO_FOLLOW);
  } catch (error) {
    throw unreadable(file, error);
  }
  createReadStream('', { fd })
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
