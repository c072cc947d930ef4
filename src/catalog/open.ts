import { existsSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { basename, join, resolve } from 'node:path';
import { namedSource, selectSources } from '../config/sources.js';
import type { Context } from '../context.js';
import { OdbackupError } from '../errors.js';
import { storeSnapshots, type SnapshotSet } from '../store/catalog.js';
import { readableStore } from '../store/mount.js';
import { typedName } from '../store/names.js';
import { SourceStore } from '../store/snapshots.js';
import { jsonStructureProblems, parseJsonText } from '../config/json-text.js';
import { validate as validateIndex } from './index-validate.generated.js';
import { readUntrustedFile, utf8Text } from './untrusted.js';
import type { CatalogIndex, PublishedSource } from './format.js';
import { PathIndex } from './index-read.js';
import { newestPlace, versionAt } from './path-index.js';

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

/** An index.json or nodes.json larger than this is not one a node wrote (30 snapshots of 100 sources are 2 MB). */
const MAX_INDEX_BYTES = 64 * 2 ** 20;

/** What is wrong with a document, in ajv's words: the shipped schema, compiled by `npm run docs`. */
type Check = (value: unknown) => string | undefined;

const indexProblem: Check = (value) => {
  if (validateIndex(value)) return undefined;
  const error = (validateIndex as unknown as ValidateFunction).errors![0]!;
  return `${error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : 'the document'} ${error.message}`;
};

/** nodes.json: the names of the nodes that publish there (at most 1000). */
const nodesProblem: Check = (value) => {
  if (!Array.isArray(value) || value.length > 1000) return 'the document must be an array of at most 1000 names';
  const bad = value.findIndex((node) => typeof node !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(node));
  return bad < 0 ? undefined : `${bad} must be a node's name`;
};

/**
 * A node's index.json, from its folder or from the top folder that holds one node. A catalog came from a web server:
 * it is read as untrusted input (a regular file, bounded, no duplicate keys) and must have the shape the shipped
 * schema (packaging/catalog/index.schema.json) gives, whose data paths stay inside the node's folder.
 */
export function readCatalogIndex(path: string): OpenedCatalog {
  const directory = resolve(path);
  const refuse = (why: string, hint?: string) => new OdbackupError('usage', `${directory} is not an odbackup catalog: ${why}`, hint);
  if (!existsSync(join(directory, 'index.json')) && existsSync(join(directory, 'nodes.json'))) {
    const listed = readJson(join(directory, 'nodes.json'), nodesProblem, refuse) as string[];
    const nodes = listed.filter((node) => existsSync(join(directory, node, 'index.json')));
    if (nodes.length !== 1) throw refuse(`it holds ${nodes.length} nodes (${nodes.join(', ')})`, `give one: --catalog ${join(directory, nodes[0] ?? '<node>')}`);
    return readCatalogIndex(join(directory, nodes[0]!));
  }
  if (!existsSync(join(directory, 'index.json'))) throw refuse('no index.json', "copy the catalog's folder, or the node's folder in it");
  const index = readJson(join(directory, 'index.json'), indexProblem, refuse) as CatalogIndex;
  return { directory, index };
}

/** A JSON file of the catalog, read as untrusted input and checked against its schema; one line says what is wrong. */
function readJson(file: string, problemOf: Check, refuse: (why: string, hint?: string) => Error): unknown {
  const name = basename(file);
  const read = readUntrustedFile(file, MAX_INDEX_BYTES);
  if ('problem' in read) throw refuse(`${name} ${read.problem}`);
  const text = utf8Text(read.bytes);
  if (text === undefined) throw refuse(`${name} is not UTF-8 text`);
  const parsed = parseJsonText(text);
  if (!('value' in parsed)) throw refuse(`${name} is not JSON${parsed.where ? ` (at ${parsed.where})` : ''}`);
  const structure = jsonStructureProblems(text, 16)[0];
  if (structure) throw refuse(`${name}: ${structure.path || 'the document'} ${structure.message}`);
  const problem = problemOf(parsed.value);
  if (problem) throw refuse(`${name}: ${problem}`, 'copy the catalog again from the web server');
  return parsed.value;
}

/** A published source's snapshots, read through its path index: one chunk for a file, the chunks a query needs. */
function catalogSets({ directory, index }: OpenedCatalog): SnapshotSets {
  const open = (source: PublishedSource): SnapshotSet => {
    const names = source.snapshots.map((row) => row.snapshot);
    const paths = source.index ? new PathIndex(directory, source.index) : undefined;
    const placeOf = (snapshot: string) => {
      const place = names.indexOf(snapshot);
      if (place < 0) throw new OdbackupError('usage', `${source.name} has no snapshot ${snapshot} in the catalog`);
      return place;
    };
    return {
      name: source.name,
      snapshots: () => names,
      latest: () => source.snapshots.find((row) => row.latest)?.snapshot,
      *entries(snapshot) {
        const place = placeOf(snapshot);
        for (const path of paths?.records() ?? []) {
          const version = versionAt(path, place);
          if (version) yield { hash: version.hash, name: typedName(path.name) };
        }
      },
      lookup: (snapshot, name) => {
        const path = paths?.lookup(name);
        return path && versionAt(path, placeOf(snapshot))?.hash;
      },
      describe: () => source.snapshots,
      versions(name) {
        const path = paths?.lookup(name);
        return (path?.versions ?? []).map((version, at) => ({
          number: at + 1,
          hash: version.hash,
          first: names[version.runs[0]![0]]!,
          last: names[version.runs.at(-1)![1]]!,
          snapshots: version.runs.reduce((sum, [first, last]) => sum + last - first + 1, 0),
        }));
      },
      find: (query) =>
        (paths?.find(query) ?? []).map((path) => ({ source: source.name, name: typedName(path.name), newest: names[newestPlace(path)]!, versions: path.versions.length })),
    };
  };
  return {
    select: (target) => selectSources(index.sources, target).map(open),
    named: (name) => open(namedSource(index.sources, name)),
  };
}
