import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeExt4, type Ext4 } from './harness/ext4.js';
import { isRoot, odbackup, removeDir, tempDir } from './helpers.js';

const root = tempDir();
const disks: Ext4[] = [];
after(() => {
  for (const disk of disks) disk.destroy();
  removeDir(root);
});

test(
  'the store filling up mid-sync is 13 in one line; the previous snapshot stays whole and latest stays on it',
  { skip: !isRoot() && 'needs root for a loop device' },
  async () => {
    const disk = makeExt4(join(root, 'disk'), 16);
    disks.push(disk);
    disk.mount();
    const source = join(root, 'source');
    const stateDir = join(root, 'state');
    writeFileSync(
      join(root, 'odbackup.json'),
      JSON.stringify({
        node: 'n',
        stateDir,
        storage: { path: disk.mountPoint },
        sources: [{ name: 'images', group: 'images', from: source }],
        suspend: { mode: 'none' },
      }),
    );
    const run = (...args: string[]) => odbackup(['--config', join(root, 'odbackup.json'), ...args]);
    mkdirSync(source, { recursive: true });
    writeFileSync(join(source, 'small.img'), Buffer.alloc(1024 * 1024, 1));
    assert.equal(run('cycle').status, 0);
    const latest = readlinkSync(join(disk.mountPoint, 'images', 'latest'));
    for (let i = 0; i < 4; i++) writeFileSync(join(source, `big-${i}.img`), Buffer.alloc(5 * 1024 * 1024, i + 2));
    await new Promise((done) => setTimeout(done, 1100));
    const full = run('sync');
    assert.equal(full.status, 13, full.stderr);
    assert.match(full.stderr, /^odbackup sync: images: the store is full \(No space left on device\) \[exit 13: diskFull\]$/m);
    assert.equal(readlinkSync(join(disk.mountPoint, 'images', 'latest')), latest);
    assert.deepEqual(
      readdirSync(join(disk.mountPoint, 'images')).filter((name) => /^\d{4}-\d{2}-\d{2}T\d{6}Z$/.test(name)),
      [latest],
    );
    assert.deepEqual(readFileSync(join(disk.mountPoint, 'images', latest, 'small.img')), Buffer.alloc(1024 * 1024, 1));
  },
);

test('a full store heals itself: the oldest snapshots make room (never latest), and the pass that did not fit succeeds', { skip: !isRoot() && 'needs root for a loop device' }, async () => {
  const dir = join(root, 'heal');
  const disk = makeExt4(join(dir, 'disk'), 24);
  disks.push(disk);
  disk.mount();
  const source = join(dir, 'source');
  mkdirSync(source, { recursive: true });
  writeFileSync(
    join(dir, 'odbackup.json'),
    JSON.stringify({ node: 'n', stateDir: join(dir, 'state'), storage: { path: disk.mountPoint }, sources: [{ name: 'images', group: 'images', from: source }], suspend: { mode: 'none' } }),
  );
  const run = (...args: string[]) => odbackup(['--config', join(dir, 'odbackup.json'), ...args]);
  // Three nights, each a new 6 MiB image replacing the last: the older snapshots hold the older images, and the
  // third does not fit beside the two.
  const passes = [];
  for (let night = 0; night < 3; night++) {
    rmSync(source, { recursive: true, force: true });
    mkdirSync(source);
    writeFileSync(join(source, `image-${night}.img`), Buffer.alloc(6 * 1024 * 1024, night + 1));
    passes.push(run('cycle', '--skip', 'prune'));
    await new Promise((done) => setTimeout(done, 1100));
  }
  for (const pass of passes) assert.equal(pass.status, 0, pass.stderr);
  assert.match(passes[2]!.stderr, /images: the store is full: removing the oldest snapshot, images (\S+), to make room/);
  const removed = /removing the oldest snapshot, images (\S+),/.exec(passes[2]!.stderr)![1]!;
  const left = readdirSync(join(disk.mountPoint, 'images')).filter((name) => /^\d{4}-\d{2}-\d{2}T\d{6}Z$/.test(name));
  assert.ok(!left.includes(removed) && left.every((name) => name > removed), 'the oldest snapshot made room');
  assert.equal(left.length, 2, 'the previous latest stayed, beside the new one');
  assert.deepEqual(readFileSync(join(disk.mountPoint, 'images', readlinkSync(join(disk.mountPoint, 'images', 'latest')), 'image-2.img')), Buffer.alloc(6 * 1024 * 1024, 3));
});
