import { existsSync } from 'node:fs';
import { loadH32 } from '../hash/xxh64.js';
import { manifestOf } from '../store/catalog.js';
import type { SourceStore } from '../store/snapshots.js';
import type { SnapshotFacts, State } from '../state/run-state.js';

/**
 * The scrub (SPEC §4.2): every file belongs to one of `days` slices (a stable hash of its path); each pass reads
 * the slices of each source that were verified longest ago, so a missed night is made up the next, not a whole
 * period later.
 */
const DAY = 86_400_000;

/** Slice index → when it was last read in full against the manifests (ISO time). */
export type SliceReads = Record<string, string>;

/** When each slice of a source was last read; a state from before per-source reads kept one set for all sources. */
export function sliceReads(scrub: State['scrub'], source: string, days: number): SliceReads {
  if (!scrub || scrub.days !== days) return {};
  return scrub.sources?.[source] ?? scrub.slices ?? {};
}

/**
 * Tonight's slices: the one read longest ago (never read counts as oldest), and up to `catchUp` more that would be
 * older than `days` by the next pass (after nights the node was off or failed before verify).
 */
export function slicesToScrub(reads: SliceReads, days: number, catchUp: number, now: Date): number[] {
  const age = (slice: number) => (reads[slice] ? now.getTime() - Date.parse(reads[slice]!) : Number.POSITIVE_INFINITY);
  const oldestFirst = Array.from({ length: days }, (_, slice) => slice).sort((a, b) => (age(a) === age(b) ? a - b : age(b) > age(a) ? 1 : -1));
  // Half a day of slack: passes start a few minutes apart from night to night.
  const late = (days - 1) * DAY + DAY / 2;
  return [
    oldestFirst[0]!,
    ...oldestFirst
      .slice(1)
      .filter((slice) => age(slice) > late)
      .slice(0, catchUp),
  ];
}

/** Every byte of the source was read within this many days; undefined until every slice has been read once. */
export function coverageDays(reads: SliceReads, days: number, now: Date): number | undefined {
  const dates = Array.from({ length: days }, (_, slice) => reads[slice]);
  if (dates.some((date) => !date)) return undefined;
  return Math.ceil((now.getTime() - Math.min(...dates.map((date) => Date.parse(date!)))) / DAY);
}

/** The store's coverage is its least covered source's (undefined while any source's scrub has not come round). */
export function worstCoverage(days: (number | undefined)[]): number | undefined {
  return days.some((value) => value === undefined) ? undefined : Math.max(0, ...(days as number[]));
}

/** Whether a file (by its path in the snapshot) is in one of these slices. */
export async function sliceSelector(days: number, slices: readonly number[]): Promise<(name: string) => boolean> {
  const h32 = await loadH32();
  const wanted = new Set(slices);
  return (name) => wanted.has(h32(name) % days);
}

/** How status, verify and the heartbeat say it. */
export function coverageText(days: number | undefined): string {
  if (days === undefined) return 'the scrub has not read the whole store yet';
  return `every byte verified within the last ${days <= 1 ? 'day' : `${days} days`}`;
}

/** One source's coverage as the heartbeat and the catalog say it. */
export function sourceCoverageText(scrub: State['scrub'], source: string, days: number, now: Date): string {
  return coverageText(coverageDays(sliceReads(scrub, source, days), days, now));
}

/** A snapshot and the manifest lines the scrub reads for it. */
export interface ScrubList {
  snapshot: string;
  manifest: string;
  /** Only the lines of the files its pull wrote (inodes of its own), not its whole manifest. */
  onlyNew: boolean;
}

/**
 * What the scrub reads of each snapshot, oldest first: its whole manifest, or only the lines of the files its pull
 * read when every other file is a hard link into a snapshot that is still kept (and so read itself). A night's
 * scrub then costs the store's files once plus each night's changes, not the files times the snapshots kept.
 */
export function scrubLists(store: SourceStore, facts: Record<string, SnapshotFacts>): ScrubList[] {
  const snapshots = store.snapshots();
  const kept = new Set(snapshots);
  return snapshots.map((snapshot) => {
    const manifest = manifestOf(store, snapshot); // a snapshot without its manifest is 52, read in whole or not
    const after = facts[snapshot]?.newAfter;
    const onlyNew = after !== undefined && kept.has(after) && existsSync(store.newFiles(snapshot));
    return { snapshot, manifest: onlyNew ? store.newFiles(snapshot) : manifest, onlyNew };
  });
}

/**
 * Whether a file can be met again in a later list, so that each file's inode must be looked up to read it once:
 * only when a later list is a whole manifest. In the steady state (the oldest snapshot whole, the newer ones' new
 * files) each inode is listed once, and the lstat of every file read is saved: 0.08 s of a 0.57 s daily verify of
 * 100,000 files here. At worst (a pull that linked to an unpromoted snapshot besides latest) a file is read twice.
 */
export function inodesRepeat(lists: readonly ScrubList[]): boolean {
  return lists.slice(1).some((list) => !list.onlyNew);
}
