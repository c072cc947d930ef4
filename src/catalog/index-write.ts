import { appendFileSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { manifestOf } from '../store/catalog.js';
import { comparePaths, readManifest, type ManifestEntry } from '../store/manifest.js';
import { bytePath, shownName, typedName, type ByteName } from '../store/names.js';
import type { SourceStore } from '../store/snapshots.js';
import { PathIndex } from './index-read.js';
import type { PublishedIndex } from './format.js';
import {
  CHUNK_PATHS,
  escapeText,
  formatChunkList,
  formatFolder,
  formatRecord,
  gramShard,
  type IndexedFolder,
  type IndexedPath,
  type IndexedVersion,
} from './path-index.js';

/** The pieces are written every night a source changes: a quick level costs a few percent in size. */
const pack = (text: string) => gzipSync(text, { level: constants.Z_BEST_SPEED });
/** The most trigram shards a source's index has; a small source has fewer (a shard is then still a few KiB). */
const MAX_SHARDS = 256;
/** Trigram lines held before they are appended to the shards' spill files: the build's memory stays flat. */
const SPILL_BYTES = 8 * 2 ** 20;

/** The index a source had, with the snapshots it was written for. */
export interface PreviousIndex {
  index: PublishedIndex;
  snapshots: string[];
}

/** A folder named by its snapshots: a reader of the previous index.json keeps reading the previous folder. */
function generation(snapshots: string[]): string {
  return createHash('sha256').update(snapshots.join('\n')).digest('hex').slice(0, 16);
}

/**
 * The source's path index for `snapshots` (oldest first), in <nodeDir>/data/<source>/<generation>/. From the
 * previous index when the snapshots since are only newer ones and some of its own pruned: then only the new
 * snapshots' manifests are read and only their new versions stat'ed. Else every manifest is read.
 */
export function writePathIndex(store: SourceStore, nodeDir: string, snapshots: string[], previous: PreviousIndex | undefined): PublishedIndex {
  const folder = `data/${store.name}/${generation(snapshots)}`;
  if (previous?.index.folder === folder && existsSync(join(nodeDir, folder))) return previous.index;
  const usable = previous && existsSync(join(nodeDir, previous.index.folder)) && extendsIndex(previous.snapshots, snapshots) ? previous : undefined;
  try {
    return writeFrom(store, nodeDir, folder, snapshots, usable);
  } catch (error) {
    // The previous index was damaged (staging is rebuilt, never trusted blindly): every manifest is read instead.
    if (!usable) throw error;
    return writeFrom(store, nodeDir, folder, snapshots, undefined);
  }
}

/** Whether the snapshots are the previous ones less some, and new ones after all of them. */
function extendsIndex(before: string[], now: string[]): boolean {
  const newest = before.at(-1) ?? '';
  const known = new Set(before);
  return now.every((snapshot) => known.has(snapshot) || snapshot > newest);
}

function writeFrom(store: SourceStore, nodeDir: string, folder: string, snapshots: string[], previous: PreviousIndex | undefined): PublishedIndex {
  const known = new Set(previous?.snapshots);
  const added = snapshots.filter((snapshot) => !known.has(snapshot));
  const kept = snapshots.length - added.length;
  // An old place → its place now, or -1 for a pruned snapshot.
  const place = previous?.snapshots.map((snapshot) => snapshots.indexOf(snapshot)) ?? [];
  // Nothing pruned (a night that only adds): every run keeps its places.
  const moved = place.some((now, old) => now !== old);
  const temp = join(nodeDir, `${folder}.partial`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  const writer = new IndexWriter(temp);
  const old = previous ? new PathIndex(nodeDir, previous.index).records() : undefined;
  const manifests = added.map((snapshot) => readManifest(manifestOf(store, snapshot)));
  try {
    let before = old?.next();
    let beforeName = before && !before.done ? typedName(before.value.name) : undefined;
    const heads = manifests.map((manifest) => manifest.next());
    for (;;) {
      let name: ByteName | undefined = beforeName;
      for (const head of heads) if (!head.done && (name === undefined || comparePaths(head.value.name, name) < 0)) name = head.value.name;
      if (name === undefined) break;
      const versions = beforeName !== name ? [] : moved ? remapped(before!.value as IndexedPath, place) : (before!.value as IndexedPath).versions;
      if (beforeName === name) {
        before = old!.next();
        beforeName = before.done ? undefined : typedName(before.value.name);
      }
      for (const [at, head] of heads.entries()) {
        if (head.done || head.value.name !== name) continue;
        addSighting(versions, head.value, kept + at, () => lstatSync(bytePath(store.path(added[at]!), name)));
        heads[at] = manifests[at]!.next();
      }
      if (versions.length) writer.add({ name: shownName(name), versions: versions.sort((a, b) => a.runs[0]![0] - b.runs[0]![0]) });
    }
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  } finally {
    old?.return(undefined);
    for (const manifest of manifests) manifest.return(undefined);
  }
  const index = writer.finish(folder);
  rmSync(join(nodeDir, folder), { recursive: true, force: true });
  renameSync(temp, join(nodeDir, folder));
  return index;
}

/** A path's versions from the previous index, its runs moved to the snapshots' places now; pruned runs dropped. */
function remapped(path: IndexedPath, place: number[]): IndexedVersion[] {
  const versions: IndexedVersion[] = [];
  for (const version of path.versions) {
    const runs: [number, number][] = [];
    for (const [first, last] of version.runs) {
      let from = -1;
      let to = -1;
      for (let old = first; old <= last; old++) {
        const now = place[old] ?? -1;
        if (now < 0) continue;
        if (from < 0) from = now;
        to = now;
      }
      if (from >= 0) runs.push([from, to]);
    }
    if (runs.length) versions.push({ ...version, runs });
  }
  return versions;
}

/** A snapshot at `at` holds these bytes: the run before it goes on, or a new run, or a new version (stat'ed once). */
function addSighting(versions: IndexedVersion[], entry: ManifestEntry, at: number, stat: () => { size: number; mtimeMs: number }): void {
  const version = versions.find((candidate) => candidate.hash === entry.hash);
  if (!version) {
    const stats = stat();
    versions.push({ hash: entry.hash, size: stats.size, mtime: Math.floor(stats.mtimeMs / 1000), runs: [[at, at]] });
    return;
  }
  const last = version.runs.at(-1)!;
  if (last[1] === at - 1) last[1] = at;
  else version.runs.push([at, at]);
}

interface OpenFolder extends IndexedFolder {
  /** Its name with a trailing slash ('' for the top): a path is inside it when it starts with this. */
  prefix: string;
}

/**
 * Writes the files of one index as paths arrive in walk order: chunks, their heads, the folders (each written
 * when the walk leaves it), and the trigrams of each chunk (spilled to disk by shard, grouped at the end).
 */
class IndexWriter {
  private chunk = '';
  private chunkPaths = 0;
  private chunks = 0;
  private paths = 0;
  private heads = '';
  private grams = new Set<string>();
  private previousName = '';
  private readonly folders: OpenFolder[] = [{ name: '', prefix: '', first: Infinity, last: -1, chunks: [] }];
  private folderText = '';
  private readonly spill: string[] = Array.from({ length: MAX_SHARDS }, () => '');
  private spilled = 0;

  constructor(private readonly directory: string) {}

  add(path: IndexedPath): void {
    if (this.chunkPaths === 0) this.heads += `${escapeText(path.name)}\n`;
    this.chunk += formatRecord(path);
    this.chunkPaths++;
    this.paths++;
    this.addGrams(path.name);
    this.addToFolder(path);
    if (this.chunkPaths === CHUNK_PATHS) this.closeChunk();
  }

  /** The trigrams of a name not already among the previous name's: names in walk order share long beginnings. */
  private addGrams(name: string): void {
    let shared = 0;
    const limit = Math.min(name.length, this.previousName.length);
    while (shared < limit && name.charCodeAt(shared) === this.previousName.charCodeAt(shared)) shared++;
    const lower = name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
    for (let i = Math.max(0, shared - 2); i + 3 <= lower.length; i++) this.grams.add(lower.slice(i, i + 3));
    this.previousName = name;
  }

  private addToFolder(path: IndexedPath): void {
    const slash = path.name.lastIndexOf('/');
    const own = slash < 0 ? '' : path.name.slice(0, slash + 1);
    while (!own.startsWith(this.folders.at(-1)!.prefix)) this.closeFolder();
    // The folders between the innermost open one and this path's own.
    for (let next = own.indexOf('/', this.folders.at(-1)!.prefix.length); next >= 0; next = own.indexOf('/', next + 1))
      this.folders.push({ name: own.slice(0, next), prefix: own.slice(0, next + 1), first: Infinity, last: -1, chunks: [] });
    const folder = this.folders.at(-1)!;
    for (const version of path.versions) {
      folder.first = Math.min(folder.first, version.runs[0]![0]);
      folder.last = Math.max(folder.last, version.runs.at(-1)![1]);
    }
    if (folder.chunks.at(-1) !== this.chunks) folder.chunks.push(this.chunks);
  }

  private closeFolder(): void {
    const folder = this.folders.pop()!;
    const parent = this.folders.at(-1);
    if (parent) {
      parent.first = Math.min(parent.first, folder.first);
      parent.last = Math.max(parent.last, folder.last);
    }
    if (folder.last >= 0) this.folderText += formatFolder(folder);
  }

  private closeChunk(): void {
    if (this.chunkPaths === 0) return;
    writeFileSync(join(this.directory, `c${this.chunks}.gz`), pack(this.chunk));
    for (const gram of this.grams) {
      const shard = gramShard(gram, MAX_SHARDS);
      const line = `${escapeText(gram)}\t${this.chunks}\n`;
      this.spill[shard] += line;
      this.spilled += line.length;
    }
    if (this.spilled > SPILL_BYTES) this.spillToDisk();
    this.grams = new Set();
    this.previousName = '';
    this.chunk = '';
    this.chunkPaths = 0;
    this.chunks++;
  }

  private spillToDisk(): void {
    for (const [shard, text] of this.spill.entries()) if (text) appendFileSync(join(this.directory, `.spill${shard}`), text);
    this.spill.fill('');
    this.spilled = 0;
  }

  /** The last chunk, the folders still open, the heads, and the trigrams grouped into as many shards as suit the size. */
  finish(folder: string): PublishedIndex {
    this.closeChunk();
    while (this.folders.length) this.closeFolder();
    writeFileSync(join(this.directory, 'heads.gz'), pack(this.heads));
    writeFileSync(join(this.directory, 'dirs.gz'), pack(this.folderText));
    this.spillToDisk();
    // A shard of 256 is the shard of that many fewer taken modulo: the spill's shards fold into fewer.
    let shards = 1;
    while (shards < MAX_SHARDS && shards * 8 < this.chunks) shards *= 2;
    for (let shard = 0; shard < shards; shard++) {
      const chunksOf = new Map<string, number[]>();
      for (let spilled = shard; spilled < MAX_SHARDS; spilled += shards) {
        const file = join(this.directory, `.spill${spilled}`);
        if (!existsSync(file)) continue;
        for (const line of readFileSync(file, 'utf8').split('\n')) {
          const tab = line.lastIndexOf('\t');
          if (tab < 0) continue;
          const gram = line.slice(0, tab);
          const list = chunksOf.get(gram);
          if (list) list.push(Number(line.slice(tab + 1)));
          else chunksOf.set(gram, [Number(line.slice(tab + 1))]);
        }
        rmSync(file);
      }
      let text = '';
      for (const [gram, chunks] of chunksOf) text += `${gram}\t${formatChunkList(chunks)}\n`;
      writeFileSync(join(this.directory, `g${shard}.gz`), pack(text));
    }
    return { folder, chunks: this.chunks, shards, paths: this.paths };
  }
}
