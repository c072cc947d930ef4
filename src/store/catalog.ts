import { existsSync } from 'node:fs';
import { pathMatcher } from '../catalog/match.js';
import { OdbackupError } from '../errors.js';
import type { SnapshotFacts } from '../state/run-state.js';
import { comparePaths, lookupManifest, readManifest, walkFiles, type ManifestEntry } from './manifest.js';
import { byteName, type ByteName } from './names.js';
import { snapshotDate, SourceStore } from './snapshots.js';

/**
 * What the store holds, read from its manifests (SPEC §11): the versions of a file, paths matching a glob, the
 * difference between two snapshots. Nothing here reads file data; every manifest is streamed or looked up.
 */

/** Files, bytes, and bytes not hard-linked to the previous snapshot (what the snapshot added to the disk). */
export interface SnapshotSize {
  files: number;
  bytes: number;
  newBytes: number;
}

/**
 * A snapshot's size from its directory (names, inodes and sizes, no data): for snapshots made before the pull
 * recorded it. The two walks run in the same order, so they merge like two sorted lists.
 */
export function measureSnapshot(store: SourceStore, snapshot: string, previous: string | undefined): SnapshotSize {
  const size: SnapshotSize = { files: 0, bytes: 0, newBytes: 0 };
  const earlier = previous ? walkFiles(store.path(previous)) : undefined;
  let before = earlier?.next();
  for (const file of walkFiles(store.path(snapshot))) {
    while (before && !before.done && comparePaths(before.value.name, file.name) < 0) before = earlier!.next();
    size.files++;
    size.bytes += file.size;
    const linked = before && !before.done && before.value.name === file.name && before.value.ino === file.ino;
    if (!linked) size.newBytes += file.size;
  }
  earlier?.return(undefined);
  return size;
}

/** The manifest of a snapshot; a missing one is 52 (the snapshot cannot be proven). */
export function manifestOf(store: SourceStore, snapshot: string): string {
  const manifest = store.manifest(snapshot);
  if (!existsSync(manifest))
    throw new OdbackupError('manifestMissing', `${store.name}: the manifest ${manifest} is missing`, 'a snapshot without its manifest cannot be proven');
  return manifest;
}

/** One snapshot as `snapshots` lists it and the published catalog records it. */
export interface SnapshotRow {
  source: string;
  snapshot: string;
  /** The snapshot's time, ISO (its name is UTC). */
  time: string;
  files: number;
  bytes: number;
  newBytes: number;
  latest: boolean;
  /** verified: its copy check passed (it is or was latest); failed: its copy check found a difference; unknown: not recorded. */
  verified: 'verified' | 'failed' | 'unknown';
}

/**
 * The snapshots of one source and what each holds: read from the store's manifests on the node, or from a copy of
 * the published catalog anywhere (`--catalog`). The catalog commands and restore ask only this.
 */
export interface SnapshotSet {
  readonly name: string;
  /** Complete snapshots, oldest first. */
  snapshots(): string[];
  latest(): string | undefined;
  /** Every file's entry, in walk order. */
  entries(snapshot: string): Generator<ManifestEntry>;
  /** One file's XXH64, or undefined when the snapshot does not hold it. */
  lookup(snapshot: string, name: ByteName): string | undefined;
  /** Every snapshot with its size and copy check, oldest first. */
  describe(): SnapshotRow[];
  /** Each distinct content of one file, oldest first (versionsOf). */
  versions(name: ByteName): Version[];
  /** The paths a query finds in any snapshot, in walk order (findPaths). */
  find(query: string): FoundPath[];
}

/** A source's snapshots in the store, with what the pulls recorded of them (state.json). */
export function storeSnapshots(store: SourceStore, facts: Record<string, SnapshotFacts> = {}): SnapshotSet {
  const set: SnapshotSet = {
    name: store.name,
    snapshots: () => store.snapshots(),
    latest: () => store.latest(),
    entries: (snapshot) => readManifest(manifestOf(store, snapshot)),
    lookup: (snapshot, name) => lookupManifest(manifestOf(store, snapshot), name),
    describe: () => describeSnapshots(store, facts),
    versions: (name) => versionsOf(set, name),
    find: (query) => findPaths(set, query),
  };
  return set;
}

function describeSnapshots(store: SourceStore, facts: Record<string, SnapshotFacts>): SnapshotRow[] {
  const latest = store.latest();
  const names = store.snapshots();
  return names.map((snapshot, index) => {
    const known = facts[snapshot];
    const previous = names[index - 1];
    // Recorded by the pull, while the snapshot it was counted against is still the one before; else measured from
    // the directory (metadata only): snapshots pulled before sizes were recorded, or after a prune.
    const recorded = known?.files === undefined ? undefined : { files: known.files, bytes: known.bytes ?? 0, newBytes: known.newBytes ?? 0 };
    const size = !recorded
      ? measureSnapshot(store, snapshot, previous)
      : !previous
        ? { ...recorded, newBytes: recorded.bytes }
        : known!.newAfter === previous
          ? recorded
          : measureSnapshot(store, snapshot, previous);
    const verified = known?.copyCheck === 'failed' ? 'failed' : known?.copyCheck === 'passed' || snapshot === latest ? 'verified' : 'unknown';
    return { source: store.name, snapshot, time: snapshotDate(snapshot).toISOString(), ...size, latest: snapshot === latest, verified };
  });
}

export interface Version {
  /** 1 = the oldest. */
  number: number;
  hash: string;
  first: string;
  last: string;
  /** Snapshots holding exactly these bytes. */
  snapshots: number;
}

/**
 * Each distinct content of one file, oldest first, from its manifests: one lookup per snapshot. Identical bytes in several snapshots
 * are one version, also when the file was different in between (a version is its bytes, numbered by first sight).
 */
export function versionsOf(store: SnapshotSet, name: ByteName): Version[] {
  const versions = new Map<string, Version>();
  for (const snapshot of store.snapshots()) {
    const hash = store.lookup(snapshot, name);
    if (!hash) continue;
    const known = versions.get(hash);
    if (known) {
      known.last = snapshot;
      known.snapshots++;
    } else versions.set(hash, { number: versions.size + 1, hash, first: snapshot, last: snapshot, snapshots: 1 });
  }
  return [...versions.values()];
}

export interface FoundPath {
  source: string;
  name: ByteName;
  /** The newest snapshot that has it. */
  newest: string;
  versions: number;
}

/**
 * Paths a query finds (catalog/match.ts: the page's rule too) in any snapshot, from its manifests. Names are bytes:
 * the query is taken as UTF-8 bytes, so `?` stands for one byte.
 */
export function findPaths(store: SnapshotSet, query: string): FoundPath[] {
  const matches = pathMatcher(byteName(Buffer.from(query, 'utf8')));
  const seen = new Map<ByteName, { newest: string; hashes: Set<string> }>();
  for (const snapshot of store.snapshots()) {
    for (const { name, hash } of store.entries(snapshot)) {
      if (!matches(name)) continue;
      const path = seen.get(name);
      if (path) {
        path.newest = snapshot;
        path.hashes.add(hash);
      } else seen.set(name, { newest: snapshot, hashes: new Set([hash]) });
    }
  }
  return [...seen.keys()].sort(comparePaths).map((name) => ({ source: store.name, name, newest: seen.get(name)!.newest, versions: seen.get(name)!.hashes.size }));
}

export interface Difference {
  added: ByteName[];
  removed: ByteName[];
  changed: ByteName[];
}

/** Two manifests merged in walk order: what B added, removed and changed against A. */
export function diffSnapshots(store: SnapshotSet, from: string, to: string): Difference {
  const difference: Difference = { added: [], removed: [], changed: [] };
  const before = store.entries(from);
  const after = store.entries(to);
  try {
    let a = before.next();
    let b = after.next();
    for (;;) {
      const left = a.done ? undefined : a.value;
      const right = b.done ? undefined : b.value;
      if (!left && !right) break;
      const order = !left ? 1 : !right ? -1 : comparePaths(left.name, right.name);
      if (order < 0) difference.removed.push(left!.name);
      else if (order > 0) difference.added.push(right!.name);
      else if (left!.hash !== right!.hash) difference.changed.push(left!.name);
      if (order <= 0) a = before.next();
      if (order >= 0) b = after.next();
    }
  } finally {
    before.return(undefined);
    after.return(undefined);
  }
  return difference;
}

/**
 * The snapshot an operator names: a full name, `latest`, or a day (YYYY-MM-DD, the node's local date) for the newest
 * snapshot of that day. Unknown is a usage error naming what exists.
 */
export function resolveSnapshot(store: SnapshotSet, at: string | undefined): string {
  const snapshots = store.snapshots();
  const latest = store.latest() ?? snapshots.at(-1);
  if (!latest) throw new OdbackupError('usage', `${store.name} has no snapshot yet`, 'a snapshot exists after the first pass that pulled it');
  if (at === undefined || at === 'latest') return latest;
  if (snapshots.includes(at)) return at;
  if (/^\d{4}-\d{2}-\d{2}$/.test(at)) {
    const ofDay = snapshots.filter((name) => localDay(snapshotDate(name)) === at).at(-1);
    if (ofDay) return ofDay;
  }
  const shown = snapshots.length > 4 ? `${snapshots.slice(0, 2).join(', ')} … ${snapshots.slice(-2).join(', ')}` : snapshots.join(', ');
  throw new OdbackupError('usage', `${store.name} has no snapshot ${at}`, `its snapshots: ${shown} (\`odbackup snapshots ${store.name}\`)`);
}

/** YYYY-MM-DD in the node's time zone: the day an operator means. */
export function localDay(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
