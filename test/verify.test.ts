import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { odbackup, removeDir, tempDir, writeConfig, writeFiles } from './helpers.js';

const root = tempDir();
after(() => removeDir(root));

const ODD_NAMES = {
  'plain.txt': 'a',
  'with space.txt': 'b',
  'back\\slash.txt': 'c',
  'new\nline.txt': 'd',
  'carriage\rreturn.txt': 'e',
  'ü-ñicode.txt': 'f',
  'sub/deeper/file.bin': Buffer.alloc(70_000, 9),
};

function node(name: string, files: Record<string, string | Buffer>, extra: Record<string, unknown> = {}) {
  const dir = join(root, name);
  const source = join(dir, 'source');
  writeFiles(source, files);
  const config = writeConfig(dir, [{ name: 'db', group: 'databases', from: source }], extra);
  const store = join(dir, 'store', 'db');
  return {
    dir,
    source,
    store,
    run: (...args: string[]) => odbackup(['--config', config, ...args]),
    latest: () => readlinkSync(join(store, 'latest')),
    snapshots: () => readdirSync(store).filter((entry) => /^\d{4}-\d{2}-\d{2}T\d{6}Z$/.test(entry)),
    newest: () =>
      readdirSync(store)
        .filter((entry) => /^\d{4}-\d{2}-\d{2}T\d{6}Z$/.test(entry))
        .sort()
        .at(-1)!,
  };
}

const tick = () => new Promise((done) => setTimeout(done, 1100));

test('xxh64sum -c (Debian xxhash) accepts the manifests, odd file names included', () => {
  const n = node('xxhsum', ODD_NAMES);
  assert.equal(n.run('cycle').status, 0);
  const snapshot = n.latest();
  const check = spawnSync('xxh64sum', ['-c', `../${snapshot}.xxh64`], { cwd: join(n.store, snapshot), encoding: 'utf8' });
  assert.equal(check.error, undefined, 'xxh64sum must be installed');
  const manifest = readFileSync(join(n.store, `${snapshot}.xxh64`), 'utf8');
  assert.match(manifest, /^\\[0-9a-f]{16} {2}new\\nline\.txt$/m);
  assert.match(manifest, /^[0-9a-f]{16} {2}back\\slash\.txt$/m);
  // xxhsum reads escaped lines (names with a newline or CR) from 0.8.2 on; Debian 12 has 0.8.1.
  const version = /(\d+)\.(\d+)\.(\d+)/
    .exec(spawnSync('xxh64sum', ['--version'], { encoding: 'utf8' }).stderr)!
    .slice(1)
    .map(Number);
  const escapedReadable = version[0]! > 0 || version[1]! > 8 || (version[1] === 8 && version[2]! >= 2);
  const unreadable = escapedReadable ? 0 : Object.keys(ODD_NAMES).filter((name) => /[\n\r]/.test(name)).length;
  assert.equal(check.stdout.match(/: OK$/gm)?.length, Object.keys(ODD_NAMES).length - unreadable, check.stdout);
  assert.doesNotMatch(check.stdout, /FAILED|did NOT match/);
  if (unreadable) assert.match(check.stdout, new RegExp(`${unreadable} lines are improperly formatted`));
  else assert.equal(check.status, 0);
});

test('names are bytes: a Latin-1 tree (not UTF-8) is pulled, proven, re-checked and hard-linked like any other', async () => {
  const n = node('latin1', { 'caf\u00e9-utf8.txt': 'utf-8 name' });
  const at = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : Buffer.from(part))));
  const latin1 = [0x63, 0x61, 0x66, 0xe9]; // "caf\xe9": é in Latin-1, not UTF-8
  mkdirSync(at(n.source, '/', [0x72, 0xe9, 0x73, 0x75, 0x6d, 0xe9]), { recursive: true }); // "r\xe9sum\xe9/"
  writeFileSync(at(n.source, '/', latin1, '.txt'), 'latin-1 name');
  writeFileSync(at(n.source, '/', [0x72, 0xe9, 0x73, 0x75, 0x6d, 0xe9], '/', [0xff, 0xfe], '.bin'), Buffer.alloc(5000, 3));
  writeFileSync(join(n.source, '-leading-dash.txt'), 'dash');
  const pass = n.run('cycle');
  assert.equal(pass.status, 0, pass.stderr);
  assert.match(pass.stdout, /copy check: 4 files of 1 new snapshot\b/);
  const snapshot = n.latest();
  const check = spawnSync('xxh64sum', ['-c', `../${snapshot}.xxh64`], { cwd: join(n.store, snapshot), encoding: 'latin1' });
  assert.equal(check.status, 0, check.stdout);
  assert.equal(check.stdout.match(/: OK$/gm)?.length, 4);
  assert.match(n.run('verify', '--full').stdout, /full check of 1 snapshot: 4 files/);
  await tick();
  assert.equal(n.run('cycle', '--skip', 'prune').status, 0);
  const second = n.latest();
  assert.equal(statSync(at(n.store, '/', second, '/', latin1, '.txt')).ino, statSync(at(n.store, '/', snapshot, '/', latin1, '.txt')).ino, 'hard-linked');
  writeFileSync(at(n.store, '/', second, '/', latin1, '.txt'), 'rotten name');
  const rot = n.run('verify', '--full');
  assert.equal(rot.status, 51);
  assert.match(rot.stderr, /db: \S+\/caf\\xe9\.txt differs from its manifest/);
});

test('hard-linked files take their hash from the previous manifest: a no-change pass reads 0 bytes', async () => {
  const n = node('reuse', { 'big.img': Buffer.alloc(3_000_000, 1), 'small.txt': 'x' });
  // Not a regular file: in no count, whether the sizes come from rsync's list (one link source) or from lstat.
  symlinkSync('small.txt', join(n.source, 'link.txt'));
  assert.equal(n.run('cycle').status, 0);
  await tick();
  const [unchanged] = JSON.parse(n.run('--json', 'sync').stdout).data.pulled;
  assert.deepEqual(unchanged.manifest, { files: 2, totalBytes: 3_000_001, hashed: 0, reused: 2, bytesRead: 0 });
  writeFileSync(join(n.source, 'small.txt'), 'changed');
  await tick();
  const [changed] = JSON.parse(n.run('--json', 'sync').stdout).data.pulled;
  assert.deepEqual(changed.manifest, { files: 2, totalBytes: 3_000_007, hashed: 1, reused: 1, bytesRead: 7 });
});

test('a copy that differs from its manifest is 50: not promoted, latest stays on the previous one', async () => {
  const n = node('copy-bad', { 'dump.sql': 'good data' });
  assert.equal(n.run('cycle').status, 0);
  const before = n.latest();
  writeFileSync(join(n.source, 'dump.sql'), 'tonight data');
  await tick();
  assert.equal(n.run('sync').status, 0);
  // The disk returns something else than was written.
  writeFileSync(join(n.store, n.newest(), 'dump.sql'), 'tonight dat?');
  const verify = n.run('verify');
  assert.equal(verify.status, 50, verify.stderr);
  assert.match(verify.stderr, /^odbackup verify: db: dump\.sql on the media differs from what was written \(manifest\)/m);
  assert.match(verify.stderr, /hint: the new snapshot is not promoted; latest stays on the previous verified one/);
  assert.equal(n.run('promote').stdout.trim(), 'nothing verified to promote');
  assert.equal(n.latest(), before);
});

test('a copy that differs from the source is 50', async () => {
  const n = node('source-differs', { 'dump.sql': 'one' });
  assert.equal(n.run('sync').status, 0);
  writeFileSync(join(n.source, 'dump.sql'), 'two');
  const verify = n.run('verify');
  assert.equal(verify.status, 50);
  assert.match(verify.stderr, /db: dump\.sql differs from the source/);
  assert.equal(existsSync(join(n.store, 'latest')), false);
});

test('the scrub finds bit rot in an older snapshot: 51 naming the file; status coverage', async () => {
  const n = node('scrub', { 'old.img': Buffer.alloc(10_000, 4), 'keep.txt': 'k'.repeat(20_000) }, { verify: { scrubDays: 1 } });
  const first = n.run('cycle');
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /every byte verified within the last day/);
  const old = n.latest();
  rmSync(join(n.source, 'old.img'));
  await tick();
  assert.equal(n.run('cycle', '--skip', 'prune').status, 0);
  // Bit rot in the older snapshot, the only one that still holds old.img.
  const rotten = readFileSync(join(n.store, old, 'old.img'));
  rotten[5000] ^= 0x01;
  writeFileSync(join(n.store, old, 'old.img'), rotten);
  const verify = n.run('verify');
  assert.equal(verify.status, 51);
  assert.match(verify.stderr, new RegExp(`db: ${old}/old\\.img differs from its manifest \\(bit rot\\?\\)`));
});

test("the scrub reads a night's new files only while the snapshot they link into is kept: rot is found wherever it is", async () => {
  const n = node('new-files', { 'shared.img': Buffer.alloc(30_000, 1), 'dump.sql': 'night 1', 'touched.txt': 'same bytes' }, { verify: { scrubDays: 1 } });
  assert.equal(n.run('cycle').status, 0);
  const first = n.latest();
  await tick();
  writeFileSync(join(n.source, 'dump.sql'), 'night 2');
  utimesSync(join(n.source, 'touched.txt'), new Date(), new Date(2020, 0, 1)); // same bytes, sent again: a new inode
  const second = n.run('cycle', '--skip', 'prune');
  assert.equal(second.status, 0, second.stderr);
  const newest = n.latest();
  // The list an operator can check like a manifest: just the two files this night read.
  const list = readFileSync(join(n.store, `.${newest}.new.xxh64`), 'utf8');
  assert.deepEqual(
    list
      .trim()
      .split('\n')
      .map((line) => line.slice(18)),
    ['dump.sql', 'touched.txt'],
  );
  const check = spawnSync('xxh64sum', ['-c', `../.${newest}.new.xxh64`], { cwd: join(n.store, newest), encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);

  const flip = (path: string) => {
    const bytes = readFileSync(path);
    bytes[3] ^= 0x01;
    writeFileSync(path, bytes);
  };
  flip(join(n.store, first, 'touched.txt')); // only in the first snapshot's inode
  flip(join(n.store, newest, 'dump.sql')); // only in tonight's
  flip(join(n.store, newest, 'shared.img')); // one inode in both snapshots
  const verify = n.run('verify');
  assert.equal(verify.status, 51);
  for (const file of [`${first}/touched.txt`, `${newest}/dump.sql`, `${first}/shared.img`])
    assert.match(verify.stderr, new RegExp(`db: ${file} differs from its manifest`));

  // Once the first snapshot is pruned, tonight's is read in whole: its hard links are found rotten there.
  assert.equal(n.run('prune').status, 0);
  assert.deepEqual(n.snapshots(), [newest]);
  const after = n.run('verify');
  assert.equal(after.status, 51);
  for (const file of [`${newest}/dump.sql`, `${newest}/shared.img`]) assert.match(after.stderr, new RegExp(`db: ${file} differs from its manifest`));
  assert.ok(!existsSync(join(n.store, `.${first}.new.xxh64`)));
});

test('verify --full reads everything; --against-source compares with the source; a missing manifest is 52', () => {
  const n = node('full', { 'a.bin': Buffer.alloc(1000, 1), 'b.bin': Buffer.alloc(2000, 2) });
  assert.equal(n.run('cycle').status, 0);
  const full = n.run('--json', 'verify', '--full');
  assert.equal(full.status, 0, full.stderr);
  assert.deepEqual(JSON.parse(full.stdout).data.full, [{ source: 'db', snapshot: n.latest(), files: 2, bytes: 3000 }]);
  appendFileSync(join(n.source, 'b.bin'), 'x');
  const against = n.run('verify', '--full', '--against-source');
  assert.equal(against.status, 50);
  assert.match(against.stderr, /db: .*\/b\.bin differs from the source/);
  // A file gone from the snapshot behind odbackup's back: named as missing, not as an errno.
  rmSync(join(n.store, n.latest(), 'a.bin'));
  const gone = n.run('verify', '--full');
  assert.equal(gone.status, 51);
  assert.match(gone.stderr, new RegExp(`db: ${n.latest()}/a\\.bin is missing`));
  rmSync(join(n.store, `${n.latest()}.xxh64`));
  const missing = n.run('verify', '--full');
  assert.equal(missing.status, 52);
  assert.match(missing.stderr, /db: the manifest .*\.xxh64 is missing/);
});
