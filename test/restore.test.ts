import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  renameSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeSync,
  closeSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeExt4, type Ext4 } from './harness/ext4.js';
import { nightClock } from './harness/nights.js';
import { startSshd, type Sshd } from './harness/sshd.js';
import { BIN, isRoot, odbackup, odbackupAsync, removeDir, tempDir, waitFor, writeConfig, writeFiles } from './helpers.js';

const root = tempDir();
const source = join(root, 'laptop');
const dir = join(root, 'node');
const store = join(dir, 'store', 'work');
const LATIN1_NAME = Buffer.from('caf\xe9.txt', 'latin1');
let config: string;
let snapshots: string[];
let sshd: Sshd | undefined;
let disk: Ext4 | undefined;

const run = (...args: string[]) => odbackup(['--config', config, ...args]);
const json = (...args: string[]) => JSON.parse(run('--json', ...args).stdout) as { exitCode: number; message: string; data: any };

/** Every file of a restored tree checked by the stock tool against the snapshot's manifest. */
function xxhCheck(restored: string, snapshot: string): string {
  return execFileSync('xxh64sum', ['-c', '--quiet', join(store, `${snapshot}.xxh64`)], { cwd: restored, encoding: 'utf8' });
}

/** The nights Jim's drawing changed: three versions, the last one kept unchanged on the fourth night. */
const NIGHTS: { night: string; files: Record<string, string>; remove?: string }[] = [
  { night: '2026-11-01', files: { 'drawings/jim/cat.png': 'cat v1', 'drawings/jim/old.txt': 'old' } },
  { night: '2026-11-02', files: { 'drawings/jim/cat.png': 'cat v2 (more whiskers)' } },
  { night: '2026-11-03', files: { 'drawings/jim/cat.png': 'cat v3 (coloured in)' }, remove: 'drawings/jim/old.txt' },
  { night: '2026-11-04', files: { 'notes.txt': 'new on the fourth' } },
];

before(async () => {
  writeFiles(source, { 'docs/letter.txt': 'Dear Jocinta', 'docs/deep/er/file.bin': Buffer.alloc(300_000, 7) });
  writeFileSync(Buffer.concat([Buffer.from(`${source}/`), LATIN1_NAME]), 'latin-1 name');
  symlinkSync('jim/cat.png', join(source, 'drawings-link'));
  config = writeConfig(dir, [{ name: 'work', group: 'laptops', from: source }], { retention: { daily: 30, weekly: 0, monthly: 0 } });
  for (const { night, files, remove } of NIGHTS) {
    writeFiles(source, files);
    if (remove) rmSync(join(source, remove));
    const at = nightClock(`${night} 03:00:00`);
    const pass = await odbackupAsync(['--config', config, 'cycle', '--no-suspend'], at.env, at.prefix);
    assert.equal(pass.status, 0, `night ${night}: ${pass.stdout}${pass.stderr}`);
  }
  snapshots = readdirSync(store)
    .filter((name) => /^\d{4}-\d{2}-\d{2}T\d{6}Z$/.test(name))
    .sort();
  assert.equal(snapshots.length, 4);
});
after(async () => {
  await sshd?.stop();
  disk?.destroy();
  removeDir(root);
});

describe('what the store holds', () => {
  test('snapshots: newest first, latest marked, each verified, with files and new bytes', () => {
    const listed = json('snapshots', 'work');
    assert.equal(listed.exitCode, 0);
    const rows = listed.data.snapshots as { snapshot: string; files: number; newBytes: number; bytes: number; latest: boolean; verified: string }[];
    assert.deepEqual(
      rows.map((row) => row.snapshot),
      [...snapshots].reverse(),
    );
    assert.deepEqual(
      rows.map((row) => row.latest),
      [true, false, false, false],
    );
    assert.ok(rows.every((row) => row.verified === 'verified'));
    assert.equal(rows.at(-1)!.newBytes, rows.at(-1)!.bytes, 'the oldest snapshot: every byte is new');
    assert.equal(rows[0]!.newBytes, 'new on the fourth'.length, 'the fourth night added only notes.txt');
    const human = run('snapshots').stdout;
    assert.match(human, new RegExp(`${snapshots[3]}.*latest\\s+yes`));
  });

  test('versions: three versions of the drawing with their first and last snapshots', () => {
    const versions = json('versions', 'work', 'drawings/jim/cat.png');
    assert.equal(versions.exitCode, 0, versions.message);
    assert.deepEqual(
      versions.data.versions.map((v: any) => [v.number, v.first, v.last, v.snapshots]),
      [
        [1, snapshots[0], snapshots[0], 1],
        [2, snapshots[1], snapshots[1], 1],
        [3, snapshots[2], snapshots[3], 2],
      ],
    );
    const hash = execFileSync('xxh64sum', [join(store, snapshots[1]!, 'drawings/jim/cat.png')], { encoding: 'utf8' }).split(' ')[0];
    assert.equal(versions.data.versions[1].hash, hash);
  });

  test('find: a glob across every snapshot, newest snapshot and number of versions', () => {
    const found = json('find', '*.png');
    assert.deepEqual(found.data.paths, [{ source: 'work', path: 'drawings/jim/cat.png', newest: snapshots[3], versions: 3 }]);
    const gone = json('find', 'drawings/**/old*', '--source', 'work');
    assert.deepEqual(gone.data.paths, [{ source: 'work', path: 'drawings/jim/old.txt', newest: snapshots[1], versions: 1 }]);
    assert.match(run('find', 'caf*').stdout, /caf\\xe9\.txt/, 'a name that is not UTF-8 is shown with \\xNN');
  });

  test('diff: added, removed and changed between two snapshots; the default is the one before latest and latest', () => {
    const latest = run('diff', 'work');
    assert.equal(latest.status, 0);
    assert.match(latest.stdout, /1 added, 0 removed, 0 changed\n\+ notes\.txt/);
    const days = json('diff', 'work', '2026-11-02', '2026-11-03', '--stat');
    assert.deepEqual(days.data.counts, { added: 0, removed: 1, changed: 1 });
    assert.equal(days.data.changed, undefined, '--stat: counts only');
    assert.match(run('diff', 'work', '2026-11-02', '2026-11-03').stdout, /- drawings\/jim\/old\.txt\nM drawings\/jim\/cat\.png/);
  });
});

describe('restore to a local folder', () => {
  test('restore --version 2 gives exactly the bytes of the second night', () => {
    const to = join(root, 'jim-v2');
    const restored = run('restore', 'work', 'drawings/jim/cat.png', '--version', '2', '--to', to);
    assert.equal(restored.status, 0, restored.stderr);
    assert.equal(readFileSync(join(to, 'drawings/jim/cat.png'), 'utf8'), 'cat v2 (more whiskers)');
    assert.match(restored.stdout, new RegExp(`restored 1 file .* of work ${snapshots[1]} \\(drawings/jim/cat\\.png\\)`));
    const byDay = join(root, 'jim-day1');
    assert.equal(run('restore', 'work', 'drawings/jim/cat.png', '--at', '2026-11-01', '--to', byDay).status, 0);
    assert.equal(readFileSync(join(byDay, 'drawings/jim/cat.png'), 'utf8'), 'cat v1');
  });

  test('a whole source: every file equal to its manifest, symlinks, times and byte names as in the snapshot', () => {
    const to = join(root, 'jocinta');
    const restored = run('restore', 'work', '--to', to);
    assert.equal(restored.status, 0, restored.stderr);
    assert.match(restored.stdout, /restored 5 files .* every one equal to its manifest/);
    xxhCheck(to, snapshots[3]!);
    assert.equal(readlinkSync(join(to, 'drawings-link')), 'jim/cat.png');
    assert.equal(readFileSync(Buffer.concat([Buffer.from(`${to}/`), LATIN1_NAME]), 'utf8'), 'latin-1 name');
    const snapshotFile = lstatSync(join(store, snapshots[3]!, 'docs/deep/er/file.bin'));
    assert.equal(lstatSync(join(to, 'docs/deep/er/file.bin')).mtimeMs, snapshotFile.mtimeMs);
    assert.equal(lstatSync(join(to, 'docs/deep')).mtimeMs, lstatSync(join(store, snapshots[3]!, 'docs/deep')).mtimeMs, 'parents keep the snapshot metadata');
    assert.deepEqual(
      readdirSync(to).filter((name) => name.startsWith('.odbackup')),
      [],
      'no staging folder is left',
    );
    assert.match(run('status').stdout, /restores[\s\S]*restored 5 files/, 'status shows the restore');
    assert.match(readFileSync(join(dir, 'state', 'journal.jsonl'), 'utf8'), /"event":"restore".*restored 5 files/);
  });

  test('--merge adds and replaces, never deletes, and lists what it replaced; --dry-run writes nothing', () => {
    const to = join(root, 'merge');
    writeFiles(to, { 'mine.txt': 'keep me', 'drawings/jim/cat.png': 'an old cat' });
    const refused = run('restore', 'work', 'drawings', '--to', to);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /the destination .*merge is not empty \(2 entries\); nothing is written/);
    const dry = run('restore', 'work', 'drawings', '--to', to, '--merge', '--dry-run');
    assert.equal(dry.status, 0);
    assert.match(dry.stdout, /replace drawings\/jim\/cat\.png/);
    assert.equal(readFileSync(join(to, 'drawings/jim/cat.png'), 'utf8'), 'an old cat', 'the dry run wrote nothing');
    const merged = run('restore', 'work', 'drawings', '--to', to, '--merge');
    assert.equal(merged.status, 0, merged.stderr);
    assert.match(merged.stdout, /replaced drawings\/jim\/cat\.png/);
    assert.equal(readFileSync(join(to, 'drawings/jim/cat.png'), 'utf8'), 'cat v3 (coloured in)');
    assert.equal(readFileSync(join(to, 'mine.txt'), 'utf8'), 'keep me');
  });

  test('bad requests: one line, exit 2, nothing written', () => {
    const to = join(root, 'never');
    mkdirSync(join(root, 'elsewhere'), { recursive: true });
    symlinkSync(join(dir, 'store'), join(root, 'elsewhere', 'store-link'));
    const cases: [string[], RegExp][] = [
      [['restore', 'work', '../../etc/passwd', '--to', to], /leaves the snapshot/],
      [['restore', 'work', '/etc/passwd', '--to', to], /is absolute/],
      [['restore', 'work', 'docs/\\x00', '--to', to], /NUL/],
      [['restore', 'work', '--to', join(dir, 'store', 'work', 'x')], /is inside the store/],
      [['restore', 'work', '--to', join(root, 'elsewhere', 'store-link', 'x')], /is inside the store/],
      [['restore', 'nobody', '--to', to], /no source named "nobody"/],
      [['restore', 'work', 'drawings/jim/dog.png', '--to', to], /has no file drawings\/jim\/dog\.png/],
      [['restore', 'work', '--at', '1999-01-01', '--to', to], /has no snapshot 1999-01-01/],
      [['restore', 'work', 'drawings/jim/cat.png', '--version', '4', '--to', to], /has no version 4 \(3 known\)/],
      [['versions', 'work', 'drawings/jim/dog.png'], /has no file drawings\/jim\/dog\.png in any snapshot/],
    ];
    for (const [args, message] of cases) {
      const result = run(...args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
      assert.equal(result.stderr.trim().split('\n')[0]!.includes('odbackup'), true);
      assert.equal(existsSync(to), false, `${args.join(' ')} wrote nothing`);
    }
    assert.deepEqual(
      readdirSync(join(dir, 'store', 'work')).filter((name) => name === 'x'),
      [],
      'nothing written into the store',
    );
  });

  test('a pass that starts during a restore exits 3 and says a restore is running', async () => {
    const to = join(root, 'locked');
    // The restore's rsync waits for a gate: the restore holds the lock until the pass has tried, however fast it is.
    const [waiting, gate, gatedRsync, gatedConfig] = ['waiting', 'gate', 'gated-rsync', 'gated.json'].map((name) => join(root, name));
    writeFileSync(gatedRsync, `#!/bin/sh\ntouch '${waiting}'\nwhile [ ! -e '${gate}' ]; do sleep 0.05; done\nexec rsync "$@"\n`, { mode: 0o755 });
    const document = JSON.parse(readFileSync(config, 'utf8'));
    writeFileSync(gatedConfig, JSON.stringify({ ...document, system: { ...document.system, programs: { ...document.system?.programs, rsync: gatedRsync } } }));
    const child = spawn(process.execPath, [BIN, '--config', gatedConfig, 'restore', 'work', '--to', to], { stdio: 'ignore' });
    try {
      await waitFor(() => existsSync(waiting), 'the restore to start its rsync');
      const pass = run('cycle', '--no-suspend');
      assert.equal(pass.status, 3);
      assert.match(pass.stderr, /a restore is running \(pid \d+/);
    } finally {
      writeFileSync(gate, '');
    }
    const status = await new Promise<number | null>((done) => child.on('exit', done));
    assert.equal(status, 0);
    xxhCheck(to, snapshots[3]!);
  });

  test('a byte flipped in the store is found while restoring: 51, naming the snapshot and file; nothing put in place', () => {
    const to = join(root, 'rot');
    const file = join(store, snapshots[3]!, 'notes.txt');
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from('N'), 0, 1, 0);
    closeSync(fd);
    try {
      const restored = run('restore', 'work', '--to', to);
      assert.equal(restored.status, 51, restored.stderr);
      assert.match(restored.stderr, new RegExp(`work ${snapshots[3]}/notes\\.txt differs from its manifest in the store \\(bit rot\\)`));
      assert.equal(existsSync(to), false, 'the destination is left as it was');
    } finally {
      const fix = openSync(file, 'r+');
      writeSync(fix, Buffer.from('n'), 0, 1, 0);
      closeSync(fix);
    }
  });
});

test('a write-back that fails while the copy is proven (sync -f: EIO) is 54: nothing put in place, no staging left', () => {
  // What coreutils' sync prints when syncfs reports a lost write: a disk cannot be made to lose one here.
  const failingSync = join(root, 'sync-eio');
  writeFileSync(failingSync, `#!/bin/sh\necho "sync: error syncing '$2': Input/output error" >&2\nexit 1\n`, { mode: 0o755 });
  const lossy = join(dir, 'odbackup-eio.json');
  writeFileSync(lossy, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), system: { programs: { sync: failingSync } } }));
  const to = join(root, 'lost-write');
  const restored = odbackup(['--config', lossy, 'restore', 'work', '--to', to]);
  assert.equal(restored.status, 54, restored.stderr);
  assert.match(restored.stderr, /writing back \S+ failed: sync: error syncing '\S+': Input\/output error; nothing was put in place/);
  assert.equal(existsSync(to), false, 'the destination is left as it was');
});

test('a symlink where the manifest lists a file is not followed: 51, and nothing is restored from where it points', () => {
  const file = join(store, snapshots[3]!, 'docs/letter.txt');
  renameSync(file, `${file}.aside`);
  symlinkSync('/etc/hostname', file);
  try {
    const to = join(root, 'via-link');
    const restored = run('restore', 'work', 'docs', '--to', to);
    assert.equal(restored.status, 51, restored.stderr);
    assert.match(restored.stderr, /docs\/letter\.txt cannot be read in the store: .*ELOOP/);
    assert.equal(existsSync(to), false);
  } finally {
    rmSync(file);
    renameSync(`${file}.aside`, file);
  }
});

describe('restore over ssh to a target confined with rrsync -wo', () => {
  test('a whole source lands whole, is proven by rsync --checksum, and replacing needs --merge', async () => {
    const target = join(root, 'target');
    mkdirSync(target, { recursive: true });
    sshd = await startSshd(join(root, 'sshd'), target, '-wo');
    const remote = writeConfig(join(root, 'remote-node'), [{ name: 'work', group: 'laptops', from: source }], {
      stateDir: join(dir, 'state'),
      storage: { path: join(dir, 'store') },
      restore: { ssh: { port: sshd.port, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile, connectTimeout: 5 } },
    });
    const to = `${sshd.user}@127.0.0.1:/jocinta`;
    const restored = odbackup(['--config', remote, 'restore', 'work', '--to', to]);
    assert.equal(restored.status, 0, restored.stderr);
    assert.match(restored.stdout, /restored 5 files .* to .*127\.0\.0\.1:\/jocinta/);
    xxhCheck(join(target, 'jocinta'), snapshots[3]!);
    assert.equal(readlinkSync(join(target, 'jocinta', 'drawings-link')), 'jim/cat.png');
    writeFileSync(join(target, 'jocinta', 'notes.txt'), 'edited on the laptop');
    const refused = odbackup(['--config', remote, 'restore', 'work', '--to', to]);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /already has 1 of these files \(notes\.txt…\); nothing is written/);
    assert.equal(readFileSync(join(target, 'jocinta', 'notes.txt'), 'utf8'), 'edited on the laptop');
    const merged = odbackup(['--config', remote, 'restore', 'work', '--to', to, '--merge']);
    assert.equal(merged.status, 0, merged.stderr);
    assert.match(merged.stdout, /replaced notes\.txt/);
    xxhCheck(join(target, 'jocinta'), snapshots[3]!);
  });
});

describe('restore from a disk the pass left unmounted', { skip: !isRoot() && 'needs root for loop devices and mount' }, () => {
  test('the store is mounted read-only for the restore and unmounted after; the catalog commands say how to mount it', async () => {
    const label = `odbr-${process.pid % 100000}`;
    disk = makeExt4(join(root, 'disk'), 32, label);
    const deviceDir = join(root, 'device-node');
    const deviceConfig = writeConfig(deviceDir, [{ name: 'work', group: 'laptops', from: source }], {
      storage: { path: disk.mountPoint, device: `LABEL=${label}`, afterPass: 'unmounted' },
    });
    const at = nightClock('2026-11-05 03:00:00');
    const pass = await odbackupAsync(['--config', deviceConfig, 'cycle', '--no-suspend'], at.env, at.prefix);
    assert.equal(pass.status, 0, pass.stderr);
    const mounted = () => spawnSync('findmnt', ['-n', disk!.mountPoint]).status === 0;
    assert.equal(mounted(), false, 'afterPass unmounted: the disk is unmounted');
    const listed = odbackup(['--config', deviceConfig, 'snapshots']);
    assert.equal(listed.status, 10);
    assert.match(listed.stderr, /is not mounted at [\s\S]*`odbackup mount ro` mounts it read-only/);
    const to = join(root, 'from-disk');
    const restored = odbackup(['--config', deviceConfig, 'restore', 'work', 'docs', '--to', to]);
    assert.equal(restored.status, 0, restored.stderr);
    assert.equal(readFileSync(join(to, 'docs/letter.txt'), 'utf8'), 'Dear Jocinta');
    assert.equal(mounted(), false, 'unmounted again after the restore');
  });
});
