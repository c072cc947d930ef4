import { snapshotDate } from './snapshots.js';

export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
}

/** ISO 8601 week, e.g. `2026-W47` (weeks start on Monday; week 1 holds the year's first Thursday). */
function isoWeek(date: Date): string {
  const thursday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  thursday.setUTCDate(thursday.getUTCDate() + 4 - (thursday.getUTCDay() || 7));
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((thursday.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

const PERIODS: Record<keyof RetentionPolicy, (date: Date) => string> = {
  daily: (date) => date.toISOString().slice(0, 10),
  weekly: isoWeek,
  monthly: (date) => date.toISOString().slice(0, 7),
};

/**
 * Which snapshots retention keeps (rsnapshot/borg style, periods in UTC): the newest snapshot of each of the
 * last N days, N ISO weeks and N months that have one, plus everything in `protect` (the newest verified).
 * Returns the ones to remove, oldest first.
 */
export function expiredSnapshots(snapshots: readonly string[], policy: RetentionPolicy, protect: ReadonlySet<string>): string[] {
  const newestFirst = [...snapshots].sort().reverse();
  const keep = new Set(protect);
  for (const period of Object.keys(PERIODS) as (keyof RetentionPolicy)[]) {
    const seen = new Set<string>();
    for (const snapshot of newestFirst) {
      const key = PERIODS[period](snapshotDate(snapshot));
      if (seen.has(key)) continue;
      if (seen.size >= policy[period]) break;
      seen.add(key);
      keep.add(snapshot);
    }
  }
  return newestFirst.filter((snapshot) => !keep.has(snapshot)).reverse();
}
