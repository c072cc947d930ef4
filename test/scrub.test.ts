import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coverageDays, inodesRepeat, slicesToScrub, worstCoverage, type SliceReads } from '../src/verify/scrub.js';

const DAY = 86_400_000;
const night = (n: number) => new Date(Date.UTC(2027, 0, 1, 3) + n * DAY);
/** Slice i last read `ages[i]` days before `now` (undefined: never). */
const readAt = (now: Date, ages: (number | undefined)[]): SliceReads =>
  Object.fromEntries(ages.flatMap((age, slice) => (age === undefined ? [] : [[String(slice), new Date(now.getTime() - age * DAY).toISOString()]])));

test('every night the slice read longest ago; catching up only what would be late by the next pass', () => {
  const now = night(100);
  assert.deepEqual(slicesToScrub(readAt(now, [5, 4, 3, 2, 1]), 5, 1, now), [0], 'on schedule: one slice');
  assert.deepEqual(slicesToScrub(readAt(now, [1, 2, 6, 3, 5]), 5, 1, now), [2, 4], 'a missed night: the late one too');
  assert.deepEqual(slicesToScrub(readAt(now, [1, 2, 6, 3, 5]), 5, 0, now), [2], 'no catch-up when it is 0');
  assert.deepEqual(slicesToScrub(readAt(now, [12, 11, 10, 9, 8]), 5, 2, now), [0, 1, 2], 'a week off: bounded extra reads');
  assert.deepEqual(slicesToScrub({}, 5, 1, now), [0, 1], 'never read counts as oldest');
  // Passes start a few minutes apart: 4 days and 10 minutes is not late for scrubDays 5.
  assert.deepEqual(slicesToScrub(readAt(now, [5, 4 + 10 / 1440, 3, 2, 1]), 5, 1, now), [0]);
});

test('coverage: undefined until every slice was read, then the oldest read in whole days; the store is its worst source', () => {
  const now = night(50);
  assert.equal(coverageDays(readAt(now, [3, 2, undefined]), 3, now), undefined);
  assert.equal(coverageDays(readAt(now, [3, 2, 1]), 3, now), 3);
  assert.equal(coverageDays(readAt(now, [2.5, 0.2, 1]), 3, now), 3);
  assert.equal(worstCoverage([3, 7, 2]), 7);
  assert.equal(worstCoverage([3, undefined]), undefined);
});

test('a year of nights with failures: after the first scrubDays nights, coverage never exceeds scrubDays + the nights missed', () => {
  const days = 30;
  let reads: SliceReads = {};
  let missed = 0;
  let worst = 0;
  // A fixed pattern of failed nights: single ones, two in a row, and a week off.
  const failed = new Set([3, 40, 41, 77, 150, 151, 152, 153, 154, 155, 156, 200, 260, 300, 301]);
  for (let n = 0; n < 365; n++) {
    const now = night(n);
    if (failed.has(n)) missed++;
    else for (const slice of slicesToScrub(reads, days, 1, now)) reads = { ...reads, [slice]: now.toISOString() };
    const coverage = coverageDays(reads, days, now);
    if (n >= days + missed) {
      assert.notEqual(coverage, undefined, `night ${n}: every slice has been read`);
      assert.ok(coverage! <= days + missed, `night ${n}: coverage ${coverage} > ${days} + ${missed} missed`);
      worst = Math.max(worst, coverage!);
    }
  }
  // And it recovers: at the end of the year (60 quiet nights after the last miss) coverage is back within scrubDays.
  assert.ok(coverageDays(reads, days, night(364))! <= days);
  assert.ok(worst > days, 'the failures did push coverage past scrubDays for a while');
});

test('inodes are looked up only when a whole manifest follows another list (the steady state needs no lstat per file)', () => {
  const list = (snapshot: string, onlyNew: boolean) => ({ snapshot, manifest: `${snapshot}.xxh64`, onlyNew });
  assert.equal(inodesRepeat([list('a', false), list('b', true), list('c', true)]), false, 'the oldest whole, the others their new files');
  assert.equal(inodesRepeat([list('a', false)]), false, 'one snapshot');
  assert.equal(inodesRepeat([list('a', false), list('b', false), list('c', true)]), true, 'b is read whole: it shares files with a');
  assert.equal(inodesRepeat([list('a', true), list('b', true), list('c', false)]), true);
});
