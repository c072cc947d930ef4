import { isRemoteLocation } from '../config/load.js';
import type { Source } from '../config/types.js';
import { sourceHost } from './presence.js';

/** What work on a source waits for: its host as `from` writes it; local and git sources are the node's own disk. */
export const hostOf = (source: Source): string => (source.kind === 'rsync' && isRemoteLocation(source.from) ? sourceHost(source.from) : '(this node)');

/** Work that was still waiting for a slot when an earlier one failed: never started. */
class NotStarted extends Error {}

/**
 * Slots for work: at most `limit` at once, never two with the same key (two pulls from one host share its disk and
 * its link). A slot is taken only when the work asks for it: what comes before (a probe) holds none. After `stop`,
 * what still waits is not started.
 */
export class KeyedSlots {
  private running = 0;
  private stopped = false;
  private readonly busy = new Set<string>();
  private readonly waiting: { key: string; start: () => void; refuse: () => void }[] = [];

  constructor(private readonly limit: number) {}

  run<R>(key: string, work: () => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const start = () => {
        this.running++;
        this.busy.add(key);
        work()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.busy.delete(key);
            this.next();
          });
      };
      this.waiting.push({ key, start, refuse: () => reject(new NotStarted()) });
      this.next();
    });
  }

  stop(): void {
    this.stopped = true;
    this.next();
  }

  private next(): void {
    if (this.stopped) for (const waiting of this.waiting.splice(0)) waiting.refuse();
    while (this.running < this.limit) {
      const index = this.waiting.findIndex(({ key }) => !this.busy.has(key));
      if (index < 0) return;
      this.waiting.splice(index, 1)[0]!.start();
    }
  }
}

/**
 * Every task's result in order, once all have ended; the first error stops what has not started and is thrown
 * after what has started ends (a pull is never left running behind the pass).
 */
export async function settleAll<R>(slots: KeyedSlots, tasks: Promise<R>[]): Promise<R[]> {
  const outcomes = await Promise.allSettled(tasks.map((task) => task.catch((error: unknown) => (slots.stop(), Promise.reject(error)))));
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected' && !(outcome.reason instanceof NotStarted));
  if (failure) throw failure.reason;
  return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<R>).value);
}

/** `work` for every item, at most `limit` at once, one per key; results in the items' order. */
export function runPerKey<T, R>(items: readonly T[], limit: number, keyOf: (item: T) => string, work: (item: T) => Promise<R>): Promise<R[]> {
  const slots = new KeyedSlots(limit);
  return settleAll(
    slots,
    items.map((item) => slots.run(keyOf(item), () => work(item))),
  );
}
