// Rot that hard links carry forward: a byte changed in latest with its size and mtime kept is linked into every
// following snapshot; the scrub finds it, the next pull heals it from the source when the source still has the same
// content, and says plainly when it does not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { nightClock } from './harness/nights.js';
import { odbackupAsync, removeDir, tempDir, writeConfig, writeFiles } from './helpers.js';

const root = tempDir();
after(() => removeDir(root));

/** Flips a byte of a stored file behind the store's back, keeping its size and mtime (rsync's quick check sees nothing). */
function rot(path: string): void {
  const { atime, mtime } = statSync(path);
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.from('X'), 0, 1, 3);
  closeSync(fd);
  utimesSync(path, atime, mtime);
}

test('rot carried forward by hard links is found by the scrub and healed from the source in every snapshot; where the source has moved on, 51 says this node holds no good copy', async () => {
  const source = join(root, 'source');
  writeFiles(source, { 'photos/cat.jpg': 'a cat, unchanged for years', 'notes.txt': 'n' });
  const node = join(root, 'node');
  const config = writeConfig(node, [{ name: 'home', group: 'home', from: source }], { verify: { scrubDays: 1 }, retention: { daily: 30, weekly: 0, monthly: 0 } });
  const night = (day: string) => {
    const at = nightClock(`2026-11-${day} 03:00:00`);
    return odbackupAsync(['--config', config, 'cycle'], at.env, at.prefix);
  };
  const store = join(node, 'store', 'home');
  const snapshots = () => readdirSync(store).filter((name) => /^\d{4}-.*Z$/.test(name)).sort();
  const clean = (snapshot: string) => spawnSync('xxh64sum', ['-c', `../${snapshot}.xxh64`], { cwd: join(store, snapshot), encoding: 'utf8' }).status === 0;

  assert.equal((await night('01')).status, 0);
  rot(join(store, 'latest', 'photos', 'cat.jpg'));
  const found = await night('02');
  assert.equal(found.status, 51, found.stdout + found.stderr);
  assert.match(found.stderr, /home: \S+\/photos\/cat\.jpg differs from its manifest/);
  assert.deepEqual(snapshots().map(clean), [false, false], 'the second snapshot linked the rotten inode');

  const healed = await night('03');
  assert.equal(healed.status, 0, healed.stdout + healed.stderr);
  assert.deepEqual(snapshots().map(clean), [true, true, true], 'xxh64sum -c is clean in every snapshot');
  assert.equal(readFileSync(join(store, snapshots()[0]!, 'photos', 'cat.jpg'), 'utf8'), 'a cat, unchanged for years');
  const journal = readFileSync(join(node, 'state', 'journal.jsonl'), 'utf8');
  assert.match(journal, /"event":"rot-healed".*photos\/cat\.jpg healed from the source: the proven bytes are in 2 snapshots/);
  const status = await odbackupAsync(['--config', config, 'status']);
  assert.match(status.stdout, /bit rot\nhome: .*photos\/cat\.jpg healed from the source/);

  // Again, but the source has moved on before the next pull: no good copy anywhere on this node.
  rot(join(store, 'latest', 'photos', 'cat.jpg'));
  assert.equal((await night('04')).status, 51);
  writeFiles(source, { 'photos/cat.jpg': 'a new cat picture' });
  const lost = await night('05');
  assert.equal(lost.status, 51, lost.stdout + lost.stderr);
  assert.match(lost.stderr, /photos\/cat\.jpg differs from its manifest in \d+ snapshots \([^)]+\) that share one rotten copy, and the source has changed it since: this node holds no good copy of it/);
  assert.equal(readFileSync(join(store, snapshots().at(-1)!, 'photos', 'cat.jpg'), 'utf8'), 'a new cat picture', 'the new version was pulled');
});
