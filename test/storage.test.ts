import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BLOCK_SIZE, makeExt4, type Ext4 } from './harness/ext4.js';
import { isRoot, odbackup, removeDir, tempDir, writeFiles } from './helpers.js';

const root = tempDir();
const disks: Ext4[] = [];
after(() => {
  for (const disk of disks) disk.destroy();
  removeDir(root);
});

const label = (name: string) => `odbt-${process.pid % 10000}-${name}`.slice(0, 16);

/** A node whose store is a real ext4 filesystem on a loop device, found by LABEL. */
function diskNode(name: string, files: Record<string, string | Buffer>) {
  const dir = join(root, name);
  const disk = makeExt4(join(dir, 'disk'), 64, label(name));
  disks.push(disk);
  const source = join(dir, 'source');
  writeFiles(source, files);
  const config = join(dir, 'odbackup.json');
  writeFileSync(
    config,
    JSON.stringify({
      node: 'n',
      stateDir: join(dir, 'state'),
      storage: { path: disk.mountPoint, device: `LABEL=${label(name)}` },
      sources: [{ name: 'db', group: 'databases', from: source }],
      suspend: { mode: 'none' },
    }),
  );
  const mountOptions = () =>
    execFileSync('findmnt', ['--noheadings', '--output', 'OPTIONS', '--mountpoint', disk.mountPoint], { encoding: 'utf8' }).trim().split(',');
  return { disk, source, run: (...args: string[]) => odbackup(['--config', config, ...args]), mountOptions };
}

/** Flips one byte of a file's data in the image, behind the filesystem's back (its block from debugfs). */
function flipByteInImage(disk: Ext4, path: string): void {
  const block = Number(execFileSync('debugfs', ['-R', `bmap /${path} 0`, disk.device], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  assert.ok(block > 0, `a data block for ${path}`);
  const fd = openSync(disk.image, 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, block * BLOCK_SIZE + 10);
  byte[0] ^= 0x20;
  writeSync(fd, byte, 0, 1, block * BLOCK_SIZE + 10);
  closeSync(fd);
}

describe('storage on a real ext4 filesystem (loop device)', { skip: !isRoot() && 'needs root for loop devices and mount' }, () => {
  before(() => mkdirSync(root, { recursive: true }));

  test('a whole pass: fsck, mount rw, pull, mount ro, verify from the media, promote; the disk is left read-only', () => {
    const n = diskNode('pass', { 'dump.sql.gz': Buffer.alloc(300_000, 5), 'notes.txt': 'n' });
    const pass = n.run('cycle');
    assert.equal(pass.status, 0, pass.stdout + pass.stderr);
    assert.match(pass.stdout, /mount rw\s+ok\s+\/dev\/loop\d+ checked and mounted read-write/);
    assert.match(pass.stdout, /mount ro\s+ok\s+\/dev\/loop\d+ mounted read-only \(ro,noload\)/);
    assert.match(pass.stdout, /copy check: 2 files of 1 new snapshot\b/);
    assert.ok(n.mountOptions().includes('ro'), 'left read-only');
    assert.ok(readlinkSync(join(n.disk.mountPoint, 'db', 'latest')));
  });

  test('what a source sends cannot raise privileges on the node: a setuid-root program does not run, a device node does not open (nosuid,nodev,noexec); a mount by hand without them is a warning of check', () => {
    const n = diskNode('hostile', { 'notes.txt': 'n' });
    // A child's laptop where the child is root: a setuid-root copy of id, and a device node of the node's own disk.
    execFileSync('install', ['-m', '4755', '/usr/bin/id', join(n.source, 'id')]);
    const rdev = statSync(n.disk.device).rdev;
    execFileSync('mknod', [join(n.source, 'disk'), 'b', String((rdev >> 8) & 0xfff), String((rdev & 0xff) | ((rdev >> 12) & 0xfff00))]);
    const pass = n.run('cycle');
    assert.equal(pass.status, 0, pass.stdout + pass.stderr);
    for (const option of ['nosuid', 'nodev', 'noexec']) assert.ok(n.mountOptions().includes(option), option);
    const latest = join(n.disk.mountPoint, 'db', 'latest');
    assert.equal(statSync(join(latest, 'id')).mode & 0o7777, 0o4755, 'kept as the source had it');
    const asNobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', join(latest, 'id'), '-u'], { encoding: 'utf8' });
    assert.notEqual(asNobody.stdout.trim(), '0', 'no root for nobody');
    assert.match(asNobody.stderr, /Permission denied/);
    assert.throws(() => openSync(join(latest, 'disk'), 'r'), /EACCES/, 'the device node does not open, even for root');
    assert.doesNotMatch(n.run('check').stdout, /mounted without/);
    // Mounted by hand without them (fstab, a rescue shell): check says what it lets through.
    assert.equal(n.run('mount', 'off').status, 0);
    execFileSync('mount', ['-o', 'ro', n.disk.device, n.disk.mountPoint]);
    const check = n.run('check');
    assert.match(check.stdout, /is mounted without nosuid,nodev,noexec: a setuid program or a device node in a snapshot works on this node/);
    assert.equal(n.run('mount', 'rw').status, 0);
    for (const option of ['nosuid', 'nodev', 'noexec']) assert.ok(n.mountOptions().includes(option), `${option} after the pass's mount`);
  });

  test('a byte flipped on the media after the copy is 50 naming the file; latest is not moved', () => {
    const n = diskNode('flip', { 'photo.raw': Buffer.alloc(200_000, 7) });
    assert.equal(n.run('mount', 'rw').status, 0);
    const sync = n.run('sync');
    assert.equal(sync.status, 0, sync.stderr);
    assert.equal(n.run('mount', 'ro').status, 0);
    const snapshot = readdirSync(join(n.disk.mountPoint, 'db')).find((name) => /^\d{4}-\d{2}-\d{2}T\d{6}Z$/.test(name))!;
    flipByteInImage(n.disk, `db/${snapshot}/photo.raw`);
    const verify = n.run('verify');
    assert.equal(verify.status, 50, verify.stderr);
    assert.match(verify.stderr, /db: photo\.raw on the media differs from what was written \(manifest\)/);
    assert.equal(existsSync(join(n.disk.mountPoint, 'db', 'latest')), false);
  });

  test('the scrub reads the media: rot in an older snapshot is 51', () => {
    const n = diskNode('rot', { 'old.img': Buffer.alloc(100_000, 3) });
    assert.equal(n.run('cycle').status, 0);
    const snapshot = readlinkSync(join(n.disk.mountPoint, 'db', 'latest'));
    flipByteInImage(n.disk, `db/${snapshot}/old.img`);
    // A new pass: unmount + mount drops what the page cache held; scrubDays 30, so read all with --full.
    assert.equal(n.run('mount', 'ro').status, 0);
    const verify = n.run('verify', '--full');
    assert.equal(verify.status, 51);
    assert.match(verify.stderr, new RegExp(`db: ${snapshot}/old\\.img differs from its manifest`));
  });

  test('a filesystem with errors is 12 and is not mounted', () => {
    const n = diskNode('fsck', { 'a.txt': 'a' });
    assert.equal(n.run('cycle').status, 0);
    assert.equal(n.run('mount', 'off').status, 0);
    execFileSync('debugfs', ['-w', '-R', 'set_inode_field <2> links_count 77', n.disk.device], { stdio: 'ignore' });
    const mount = n.run('mount', 'rw');
    assert.equal(mount.status, 12);
    assert.match(mount.stderr, /filesystem check of \/dev\/loop\d+ found errors left uncorrected/);
    assert.throws(() => n.mountOptions(), 'not mounted');
    const pass = n.run('cycle');
    assert.equal(pass.status, 12);
  });

  test('a missing device is 10; an unmounted store is never written to', () => {
    const n = diskNode('missing', { 'a.txt': 'a' });
    const sync = n.run('sync');
    assert.equal(sync.status, 30);
    assert.match(sync.stderr, /storage LABEL=.* is not mounted at .*; nothing is written/);
    assert.deepEqual(readdirSync(n.disk.mountPoint), [], 'nothing written to the root filesystem');
    n.disk.destroy();
    disks.splice(disks.indexOf(n.disk), 1);
    const mount = n.run('mount', 'rw');
    assert.equal(mount.status, 10);
    assert.match(mount.stderr, /storage device LABEL=.* not found/);
    assert.equal(n.run('cycle').status, 10);
  });
});
