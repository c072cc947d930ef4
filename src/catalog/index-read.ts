import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { OdbackupError } from '../errors.js';
import { comparePaths } from '../store/manifest.js';
import { byteName, typedName, type ByteName } from '../store/names.js';
import type { PublishedIndex } from './format.js';
import { pathMatcher } from './match.js';
import { candidateChunks, gramShard, parseFolder, parseGramLine, parseRecord, queryGrams, unescapeText, type IndexedFolder, type IndexedPath } from './path-index.js';
import { readUntrustedFile } from './untrusted.js';

/** A piece of an index is a few KiB; one this large was not written by a node. */
const MAX_PIECE_BYTES = 64 * 2 ** 20;

/**
 * A source's path index (path-index.ts), read a piece at a time: the node's own when it writes the next one, or a
 * catalog copy's for `--catalog`. Every piece is read as untrusted input (a regular file, no link followed,
 * bounded), and one that does not parse is named with its line.
 */
export class PathIndex {
  private headNames?: ByteName[];
  /** The chunk read last: two walks in step (a diff of two snapshots) read each chunk once. */
  private recent?: { number: number; paths: IndexedPath[] };

  constructor(
    private readonly nodeDir: string,
    readonly index: PublishedIndex,
  ) {}

  private lines(piece: string): { file: string; lines: string[] } {
    const file = join(this.nodeDir, this.index.folder, piece);
    const read = readUntrustedFile(file, MAX_PIECE_BYTES);
    let text: string;
    try {
      if ('problem' in read) throw new Error(read.problem);
      text = gunzipSync(read.bytes, { maxOutputLength: 4 * MAX_PIECE_BYTES }).toString('utf8');
    } catch (error) {
      throw new OdbackupError('manifestMissing', `the catalog's ${file} cannot be read: ${(error as Error).message}`, 'copy the catalog again');
    }
    const lines = text.split('\n');
    lines.pop();
    return { file, lines };
  }

  private parsed<T>(piece: string, parse: (line: string) => T | undefined): T[] {
    const { file, lines } = this.lines(piece);
    return lines.map((line, at) => {
      const value = parse(line);
      if (value === undefined) throw new OdbackupError('manifestMissing', `${file}: line ${at + 1} is not a catalog line`, 'copy the catalog again');
      return value;
    });
  }

  chunk(number: number): IndexedPath[] {
    if (this.recent?.number !== number) this.recent = { number, paths: this.parsed(`c${number}.gz`, parseRecord) };
    return this.recent.paths;
  }

  /** Every path, in walk order, a chunk at a time. */
  *records(): Generator<IndexedPath> {
    for (let chunk = 0; chunk < this.index.chunks; chunk++) yield* this.chunk(chunk);
  }

  *folders(): Generator<IndexedFolder> {
    yield* this.parsed('dirs.gz', parseFolder);
  }

  /** One path's record: its chunk found among the chunks' first names. */
  lookup(name: ByteName): IndexedPath | undefined {
    this.headNames ??= this.lines('heads.gz').lines.map((head) => typedName(unescapeText(head)));
    let low = 0;
    let high = this.headNames.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (comparePaths(this.headNames[middle]!, name) <= 0) low = middle;
      else high = middle - 1;
    }
    if (this.headNames.length === 0) return undefined;
    return this.chunk(low).find((path) => typedName(path.name) === name);
  }

  /** The paths a query finds: only the chunks that hold every trigram of its required text are read. */
  find(query: string): IndexedPath[] {
    const grams = queryGrams(query);
    const shards = new Map<number, Map<string, number[]>>();
    const chunksOf = (gram: string) => {
      const shard = gramShard(gram, this.index.shards);
      if (!shards.has(shard)) shards.set(shard, new Map(this.parsed(`g${shard}.gz`, parseGramLine).map(({ gram: text, chunks }) => [text, chunks])));
      return shards.get(shard)!.get(gram) ?? [];
    };
    const chunks = candidateChunks(grams, chunksOf) ?? Array.from({ length: this.index.chunks }, (_, chunk) => chunk);
    const matches = pathMatcher(byteName(Buffer.from(query, 'utf8')));
    return chunks.flatMap((chunk) => this.chunk(chunk).filter((path) => matches(typedName(path.name))));
  }
}
