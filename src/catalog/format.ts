import type { SnapshotRow } from '../store/catalog.js';
import type { RequestResult } from '../state/run-state.js';

export type { RequestResult };

/**
 * The published catalog (README: Getting data back). Under <catalog.to>:
 *   index.html, page.js, match.js, path-index.js   the page (the same from every node)
 *   nodes.json                 the nodes that publish here: this one and catalog.peers
 *   <node>/index.json          what the node holds: sources, snapshots, the last pass, served requests (switched last)
 *   <node>/data/<source>/<generation>/   the source's path index (path-index.ts), a new folder when its snapshots
 *                              change; the one before is removed once the new index.json is in place
 * A reader that reads index.json first sees only indexes that are already complete.
 */
export const CATALOG_VERSION = 2;

/** Where a source's path index is, and its size. */
export interface PublishedIndex {
  /** data/<source>/<generation>, inside the node's folder. */
  folder: string;
  chunks: number;
  /** Trigram shards (g0.gz …). */
  shards: number;
  /** Paths in it: every path any of the snapshots holds. */
  paths: number;
}

export interface PublishedSource {
  name: string;
  group: string;
  /** How much of it the scrub has read lately ("every byte read within 30 days"). */
  coverage: string;
  /** Oldest first: the path index names a snapshot by its place here. */
  snapshots: SnapshotRow[];
  /** None while the source has no snapshot. */
  index?: PublishedIndex;
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
