import { SourceStore } from './snapshots.js';

/**
 * Under disk pressure the oldest snapshots go first, across all sources, and never one that pruning protects
 * (latest, or the newest while there is no latest). The oldest removable one, if any.
 */
export function oldestRemovable(storePath: string, sources: readonly string[]): { store: SourceStore; snapshot: string } | undefined {
  const candidates = sources.flatMap((name) => {
    const store = new SourceStore(storePath, name);
    const protect = store.protectedSnapshot();
    return store.snapshots().flatMap((snapshot) => (snapshot === protect ? [] : [{ store, snapshot }]));
  });
  return candidates.sort((a, b) => a.snapshot.localeCompare(b.snapshot))[0];
}
