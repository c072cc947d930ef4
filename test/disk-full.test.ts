import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeExt4, type Ext4 } from './harness/ext4.js';
import { isRoot, odbackup, removeDir, tempDir } from './helpers.js';

const root = tempDir();
let disk: Ext4 | undefined;
after(() => {
  disk?.destroy();
  removeDir(root);
});

test(
  'the store filling up mid-sync is 13 in one line; the previous snapshot stays whole and latest stays on it',
  { skip: !isRoot() && 'needs root for a loop device' },
  async () => {
    disk = makeExt4(join(root, 'disk'), 16);
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
