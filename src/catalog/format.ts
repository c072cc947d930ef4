import { formatEntry, parseEntry, type ManifestEntry } from '../store/manifest.js';
import type { SnapshotRow } from '../store/catalog.js';
import { shownName, typedName } from '../store/names.js';
import type { RequestResult } from '../state/run-state.js';

export type { RequestResult };

/**
 * The published catalog (README: Getting data back). Under <catalog.to>:
 *   index.html                 the page (the same from every node)
 *   nodes.json                 the nodes that publish here: this one and catalog.peers
 *   <node>/index.json          what the node holds: sources, snapshots, the last pass, served requests (switched last)
 *   <node>/data/<source>/<snapshot>.gz   one line per file (catalogLine), written once, removed when pruned
 * A reader that reads index.json first sees only data files that are already complete.
 */
export const CATALOG_VERSION = 1;

export interface CatalogEntry extends ManifestEntry {
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
}

/** `size<TAB>mtime<TAB>` and a manifest line whose name is shown as output shows it (UTF-8, \xNN): the page reads it as text. */
export function catalogLine(entry: CatalogEntry): string {
  return `${entry.size}\t${entry.mtime}\t${formatEntry({ hash: entry.hash, name: shownName(entry.name) })}`;
}

export function parseCatalogLine(line: string): CatalogEntry | undefined {
  const first = line.indexOf('\t');
  const second = line.indexOf('\t', first + 1);
  if (first < 0 || second < 0) return undefined;
  const entry = parseEntry(line.slice(second + 1));
  const size = Number(line.slice(0, first));
  const mtime = Number(line.slice(first + 1, second));
  if (!entry || !Number.isSafeInteger(size) || !Number.isSafeInteger(mtime)) return undefined;
  return { hash: entry.hash, name: typedName(entry.name), size, mtime };
}

export interface PublishedSnapshot extends SnapshotRow {
  /** Its data file, relative to the node's folder. */
  data: string;
}

export interface PublishedSource {
  name: string;
  group: string;
  /** How much of it the scrub has read lately ("every byte read within 30 days"). */
  coverage: string;
  /** Oldest first. */
  snapshots: PublishedSnapshot[];
  /** When its newest complete snapshot (latest) was made: "last backed up today at 11:32". */
  lastSaved?: string;
  /** A machine that comes and goes (overdueDays): away at its last try, overdue, in words. */
  presence?: { away: boolean; overdue: boolean; text: string };
}

export interface CatalogIndex {
  version: typeof CATALOG_VERSION;
  node: string;
  /** In <node>/people/<person>/index.json: whose part of the catalog this is. */
  person?: string;
  publishedAt: string;
  /** The pass that published it (still running: its code so far), or the newest recorded one. */
  lastPass?: { startedAt: string; exitCode: number; meaning: string; message?: string; /** "OK", "FAILED (42): … ; the other sources were saved" */ summary?: string; warnings: number };
  nextWake: string;
  /** The names a request may send files to (restore.destinations). */
  destinations: string[];
  sources: PublishedSource[];
  /** Newest first. */
  requests: RequestResult[];
}

export const dataFile = (source: string, snapshot: string) => `data/${source}/${snapshot}.gz`;
