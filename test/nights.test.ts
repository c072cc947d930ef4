import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeExt4, type Ext4 } from './harness/ext4.js';
import { filesOpenUnder, nightClock } from './harness/nights.js';
import { isRoot, odbackupAsync, removeDir, tempDir, writeFiles } from './helpers.js';

const root = tempDir();
let disk: Ext4 | undefined;
after(() => {
  disk?.destroy();
  removeDir(root);
});

const SNAPSHOT = /^\d{4}-\d{2}-\d{2}T\d{6}Z$/;

test('a week of nights on a real disk (storage.device): every night exits 0, retention is exact, the disk is left read-only', { skip: !isRoot() && 'needs root for loop devices and mount' }, async () => {
  const label = `odbn-${process.pid % 100000}`;
  disk = makeExt4(join(root, 'disk'), 64, label);
  const source = join(root, 'source');
  writeFiles(source, { 'base.img': Buffer.alloc(2_000_000, 9), 'weird name\\with\ttab.txt': 'x' });
  const config = join(root, 'odbackup.json');
  writeFileSync(
    config,
    JSON.stringify({
      node: 'week',
      stateDir: join(root, 'state'),
      storage: { path: disk.mountPoint, device: `LABEL=${label}`, afterPass: 'ro' },
      sources: [{ name: 'db', group: 'databases', from: source }],
      retention: { daily: 2, weekly: 2, monthly: 0 },
      schedule: { times: ['03:00'], networkSettleSeconds: 0 },
      suspend: { mode: 'suspend' },
      display: { port: 'none' },
    }),
  );
  mkdirSync(join(root, 'state'), { recursive: true });
  // Thursday 2026-11-19 to Wednesday 2026-11-25 (ISO weeks 47 and 48), one pass at 03:00 UTC each night.
  const nights = ['2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25'];
  for (const [index, night] of nights.entries()) {
    writeFiles(source, { [`dump-${night}.sql`]: `night ${index}\n`.repeat(1000), 'notes.txt': `changed on ${night}\n` });
    const at = nightClock(`${night} 03:00:00`);
    const pass = await odbackupAsync(['--config', config, 'cycle', '--no-suspend'], at.env, at.prefix);
    assert.equal(pass.status, 0, `night ${night}: ${pass.stdout}${pass.stderr}`);
    assert.match(pass.stdout, /mount ro\s+ok/, `night ${night} remounted read-only from the media`);
    assert.deepEqual(mountOptions(disk.mountPoint).filter((option) => option === 'ro' || option === 'rw'), ['ro'], `night ${night} leaves the disk read-only`);
    assert.deepEqual(filesOpenUnder(disk.mountPoint), [], `night ${night}: no file of the store is open after the pass`);
    const sleep = await odbackupAsync(['--config', config, 'suspend', '--dry-run'], at.env, at.prefix);
    assert.equal(sleep.status, 0, sleep.stderr);
    const tomorrow = new Date(Date.parse(`${night}T03:00:00Z`) + 86_400_000).toISOString();
    assert.match(sleep.stdout, new RegExp(`would wake at .*\\(${tomorrow.replace(/[.]/g, '\\.')}\\)`), `night ${night} arms the alarm for the next night`);
  }
  const snapshots = readdirSync(join(disk.mountPoint, 'db')).filter((name) => SNAPSHOT.test(name));
  // daily 2: the 24th and the 25th; weekly 2: the newest of week 48 (the 25th) and of week 47 (Sunday the 22nd).
  assert.deepEqual(snapshots.map((name) => name.slice(0, 10)), ['2026-11-22', '2026-11-24', '2026-11-25']);
  const latest = readlinkSync(join(disk.mountPoint, 'db', 'latest'));
  assert.equal(latest.slice(0, 10), '2026-11-25');
  const inodes = snapshots.map((snapshot) => statSync(join(disk!.mountPoint, 'db', snapshot, 'base.img')).ino);
  assert.equal(new Set(inodes).size, 1, 'an unchanged file is one inode in every snapshot (hard links, not copies)');
  for (const snapshot of snapshots) {
    const output: string = execFileSync('xxh64sum', ['-c', '--quiet', `../${snapshot}.xxh64`], { cwd: join(disk.mountPoint, 'db', snapshot), encoding: 'utf8' });
    assert.equal(output, '', `${snapshot} passes xxh64sum -c`);
  }
});

function mountOptions(mountPoint: string): string[] {
  return execFileSync('findmnt', ['--noheadings', '--output', 'OPTIONS', '--mountpoint', mountPoint], { encoding: 'utf8' }).trim().split(',');
}
