import { isRemoteLocation } from '../config/load.js';
import type { Source } from '../config/types.js';
import { sourceHost } from './presence.js';

/** What work on a source waits for: its host as `from` writes it; local and git sources are the node's own disk. */
export const hostOf = (source: Source): string => (source.kind === 'rsync' && isRemoteLocation(source.from) ? sourceHost(source.from) : '(this node)');

/**
 * Runs `work` for every item, at most `limit` at once and never two with the same key at once (two pulls from one
 * host share its disk and its link). Results come back in the items' order. The first error stops what has not
 * started; what has started ends first, then that error is thrown.
 */
export async function runPerKey<T, R>(items: readonly T[], limit: number, keyOf: (item: T) => string, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const waiting = items.map((item, index) => ({ item, index }));
  const busy = new Set<string>();
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  while ((waiting.length > 0 && !failure) || running.size > 0) {
    const next = running.size < limit && !failure ? waiting.findIndex(({ item }) => !busy.has(keyOf(item))) : -1;
    if (next < 0) {
      await Promise.race(running);
      continue;
    }
    const [{ item, index }] = waiting.splice(next, 1) as [{ item: T; index: number }];
    const key = keyOf(item);
    busy.add(key);
    const task: Promise<void> = work(item)
      .then(
        (result) => void (results[index] = result),
        (error: unknown) => void (failure ??= { error }),
      )
      .finally(() => {
        busy.delete(key);
        running.delete(task);
      });
    running.add(task);
  }
  if (failure) throw failure.error;
  return results;
}
