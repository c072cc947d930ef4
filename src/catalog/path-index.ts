/**
 * The path index of one source in the published catalog: what a search and a file's versions need, in pieces small
 * enough that a query fetches a few of them (README: Getting data back). The page and `--catalog` read it with this
 * module, which is published beside the page as path-index.js and so imports only match.js.
 *
 * In <node>/data/<source>/<generation>/, for the source's snapshots as its index.json lists them (a snapshot is
 * named by its place in that list, 0 the oldest):
 *   c<n>.gz   chunk n: the next CHUNK_PATHS paths in walk order, one line each: its versions (space-separated
 *             `hash,size,mtime,runs`, runs as `3-7.9`: the snapshots that hold these bytes), a tab, the name
 *   heads.gz  the first name of every chunk, a line each: a name's chunk is found by binary search
 *   g<k>.gz   the trigrams of shard k (gramShard): a trigram, a tab, the chunks holding a name with it (base-36
 *             deltas, comma-separated)
 *   dirs.gz   every folder: the snapshots with a file under it (`a-b`), a tab, the chunks holding its own files, a
 *             tab, its name ('' for the top)
 * Names, heads and trigrams escape `\`, newline and CR as `\\`, `\n`, `\r`. Names are text as output shows them
 * (UTF-8, `\xNN` for a byte that is not), trigrams are of that text with A-Z folded to a-z (the matching rule's
 * "either case").
 */
import { requiredText } from './match.js';

/** Paths per chunk: a chunk is a few KiB gzipped, so a search that opens a hundred of them stays small. */
export const CHUNK_PATHS = 512;

export interface IndexedVersion {
  hash: string;
  size: number;
  /** Seconds since the epoch, of the snapshot the version was first seen in. */
  mtime: number;
  /** Inclusive ranges of snapshot places, oldest first. */
  runs: [number, number][];
}

export interface IndexedPath {
  name: string;
  /** By the snapshot each was first seen in: the first is version 1. */
  versions: IndexedVersion[];
}

export function escapeText(text: string): string {
  return /[\\\n\r]/.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : text;
}

export function unescapeText(text: string): string {
  return text.includes('\\') ? text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c)) : text;
}

const runText = ([first, last]: [number, number]) => (first === last ? String(first) : `${first}-${last}`);

export function formatRecord(path: IndexedPath): string {
  const versions = path.versions.map((version) => `${version.hash},${version.size},${version.mtime},${version.runs.map(runText).join('.')}`);
  return `${versions.join(' ')}\t${escapeText(path.name)}\n`;
}

/**
 * The number of digits from `at` (at most 16: counts and seconds stay safe integers), or 0. By char codes: a chunk
 * holds hundreds of lines, and a regex per field costs more than the reading.
 */
function digitsAt(text: string, at: number): number {
  let end = at;
  while (end < text.length && end - at <= 16) {
    const code = text.charCodeAt(end);
    if (code < 0x30 || code > 0x39) break;
    end++;
  }
  return end - at > 16 ? 0 : end - at;
}

/** 16 lower-case hex digits from `at` (an XXH64 as xxh64sum writes it). */
export function isHashAt(text: string, at: number): boolean {
  if (text.length < at + 16) return false;
  for (let i = at; i < at + 16; i++) {
    const code = text.charCodeAt(i);
    if (!((code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66))) return false;
  }
  return true;
}

/** `a-b.c` from `at` up to `end`: the runs, or undefined. */
function parseRuns(text: string, at: number, end: number): [number, number][] | undefined {
  const runs: [number, number][] = [];
  while (at < end) {
    const firstDigits = digitsAt(text, at);
    if (firstDigits === 0) return undefined;
    const first = Number(text.slice(at, (at += firstDigits)));
    let last = first;
    if (text.charCodeAt(at) === 0x2d) {
      const lastDigits = digitsAt(text, ++at);
      if (lastDigits === 0) return undefined;
      last = Number(text.slice(at, (at += lastDigits)));
      if (last < first) return undefined;
    }
    runs.push([first, last]);
    if (at < end && text.charCodeAt(at++) !== 0x2e) return undefined;
    if (at === end && text.charCodeAt(end - 1) === 0x2e) return undefined;
  }
  return runs.length ? runs : undefined;
}

/** One line of a chunk, or undefined when it is not one. */
export function parseRecord(line: string): IndexedPath | undefined {
  const tab = line.indexOf('\t');
  if (tab <= 0 || line.charCodeAt(tab - 1) === 0x20) return undefined;
  const versions: IndexedVersion[] = [];
  for (let at = 0; at < tab; ) {
    const space = line.indexOf(' ', at);
    const end = space < 0 || space > tab ? tab : space;
    if (!isHashAt(line, at) || line.charCodeAt(at + 16) !== 0x2c) return undefined;
    const hash = line.slice(at, at + 16);
    const sizeAt = at + 17;
    const sizeDigits = digitsAt(line, sizeAt);
    const mtimeAt = sizeAt + sizeDigits + 1;
    const negative = line.charCodeAt(mtimeAt) === 0x2d;
    const mtimeDigits = digitsAt(line, mtimeAt + (negative ? 1 : 0)) + (negative ? 1 : 0);
    const runsAt = mtimeAt + mtimeDigits + 1;
    if (sizeDigits === 0 || mtimeDigits === (negative ? 1 : 0) || line.charCodeAt(mtimeAt - 1) !== 0x2c || line.charCodeAt(runsAt - 1) !== 0x2c) return undefined;
    const runs = parseRuns(line, runsAt, end);
    if (!runs) return undefined;
    versions.push({ hash, size: Number(line.slice(sizeAt, sizeAt + sizeDigits)), mtime: Number(line.slice(mtimeAt, mtimeAt + mtimeDigits)), runs });
    at = end + 1;
  }
  return { name: unescapeText(line.slice(tab + 1)), versions };
}

/** The version of a path that snapshot `place` holds. */
export function versionAt(path: IndexedPath, place: number): IndexedVersion | undefined {
  return path.versions.find((version) => version.runs.some(([first, last]) => first <= place && place <= last));
}

/** The newest snapshot place that holds the path. */
export function newestPlace(path: IndexedPath): number {
  return Math.max(...path.versions.map((version) => version.runs.at(-1)![1]));
}

/** A-Z to a-z only: the matching rule's "either case" is of ASCII letters. */
const folded = (text: string) => text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());

/** Every trigram of a name, once. */
export function gramsOf(name: string): Set<string> {
  const text = folded(name);
  const grams = new Set<string>();
  for (let i = 0; i + 3 <= text.length; i++) grams.add(text.slice(i, i + 3));
  return grams;
}

/**
 * The trigrams every name a query finds must hold: those of its required text (none when that is shorter than
 * three characters: then every chunk is read).
 */
export function queryGrams(query: string): string[] {
  const literal = requiredText(query).replace(/\\(.)/g, '$1');
  return [...gramsOf(literal)];
}

/** Which shard holds a trigram: FNV-1a over its UTF-16 code units, the same in node and in the browser. */
export function gramShard(gram: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < gram.length; i++) hash = Math.imul(hash ^ gram.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

export function formatChunkList(chunks: number[]): string {
  return chunks.map((chunk, at) => (chunk - (at ? chunks[at - 1]! : 0)).toString(36)).join(',');
}

export function parseChunkList(text: string): number[] | undefined {
  if (text === '') return [];
  const chunks: number[] = [];
  for (const part of text.split(',')) {
    if (!/^[0-9a-z]{1,8}$/.test(part)) return undefined;
    chunks.push((chunks.at(-1) ?? 0) + Number.parseInt(part, 36));
  }
  return chunks;
}

/** One line of a trigram shard: the trigram and its chunks. */
export function parseGramLine(line: string): { gram: string; chunks: number[] } | undefined {
  const tab = line.lastIndexOf('\t');
  const chunks = tab > 0 ? parseChunkList(line.slice(tab + 1)) : undefined;
  return chunks && { gram: unescapeText(line.slice(0, tab)), chunks };
}

/** The chunks that can hold a name with all of these trigrams, from the shards' lines (all chunks: undefined). */
export function candidateChunks(grams: string[], chunksOf: (gram: string) => number[]): number[] | undefined {
  let chunks: number[] | undefined;
  for (const gram of grams) {
    const holding = new Set(chunksOf(gram));
    chunks = (chunks ?? [...holding]).filter((chunk) => holding.has(chunk));
  }
  return chunks?.sort((a, b) => a - b);
}

export interface IndexedFolder {
  name: string;
  /** The first and last snapshot place with a file under it. */
  first: number;
  last: number;
  /** The chunks holding its own files. */
  chunks: number[];
}

export function formatFolder(folder: IndexedFolder): string {
  return `${folder.first}-${folder.last}\t${formatChunkList(folder.chunks)}\t${escapeText(folder.name)}\n`;
}

export function parseFolder(line: string): IndexedFolder | undefined {
  const [span, chunkText, ...name] = line.split('\t');
  const runs = span === undefined ? undefined : parseRuns(span, 0, span.length);
  const chunks = chunkText === undefined ? undefined : parseChunkList(chunkText);
  if (!runs || runs.length !== 1 || !chunks || name.length === 0) return undefined;
  return { name: unescapeText(name.join('\t')), first: runs[0]![0], last: runs[0]![1], chunks };
}
