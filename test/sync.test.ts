import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { nightClock } from './harness/nights.js';
import { BIN, isRoot, odbackup, odbackupSpawn, removeDir, sleep, tempDir, writeConfig, writeFiles } from './helpers.js';

const root = tempDir();
after(() => removeDir(root));

function node(name: string, sources: object[], extra: Record<string, unknown> = {}) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const config = writeConfig(dir, sources, extra);
  const store = join(dir, 'store');
  return {
    dir,
    config,
    store,
    run: (...args: string[]) => odbackup(['--config', config, ...args]),
    /** A pass without retention: pull, verify, promote. */
    pass: (...args: string[]) => odbackup(['--config', config, 'cycle', '--skip', 'prune', ...args]),
    snapshots: (source: string) =>
      existsSync(join(store, source))
        ? readdirSync(join(store, source))
            .filter((name) => /^\d{4}-\d{2}-\d{2}T\d{6}Z$/.test(name))
            .sort()
        : [],
    latest: (source: string) => (existsSync(join(store, source, 'latest')) ? readlinkSync(join(store, source, 'latest')) : undefined),
  };
}

describe('sync from a local directory', () => {
  test('first pass copies, a second pass hard-links every unchanged file and moves latest', async () => {
    const source = join(root, 'src-basic');
    writeFiles(source, { 'a.sql': 'one', 'sub/b.img': Buffer.alloc(100_000, 7), 'odd name\nwith newline': 'x' });
    const n = node('basic', [{ name: 'db', group: 'databases', from: source }]);
    const first = n.pass();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /1 source: transferred 3 files/);
    const [snapshot1] = n.snapshots('db');
    assert.equal(n.latest('db'), snapshot1);
    await new Promise((done) => setTimeout(done, 1100));
    const second = n.pass();
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /transferred 0 files/);
    const [, snapshot2] = n.snapshots('db');
    assert.ok(snapshot2, 'a second snapshot');
    assert.equal(n.latest('db'), snapshot2);
    for (const file of ['a.sql', 'sub/b.img', 'odd name\nwith newline']) {
      assert.equal(statSync(join(n.store, 'db', snapshot1!, file)).ino, statSync(join(n.store, 'db', snapshot2!, file)).ino, `${file} is a hard link`);
    }
    assert.equal(existsSync(join(n.store, 'db', '.partial')), false);
    writeFileSync(join(source, 'a.sql'), 'two');
    await new Promise((done) => setTimeout(done, 1100));
    const third = n.run('--json', 'sync', 'db');
    const [pulled] = JSON.parse(third.stdout).data.pulled;
    assert.equal(pulled.changed, 1);
    assert.equal(pulled.added, 0);
    const state = JSON.parse(readFileSync(join(n.dir, 'state', 'state.json'), 'utf8'));
    assert.deepEqual(readFileSync(state.sources.db.transferredList, 'utf8').split('\0').filter(Boolean), ['a.sql']);
  });

  test('a local source that was missing is not "resumed" when it is back: its pull copied nothing', () => {
    const source = join(root, 'src-away');
    const n = node('away', [{ name: 'db', group: 'databases', from: source }]);
    const missing = n.run('cycle');
    assert.equal(missing.status, 41, missing.stderr);
    writeFiles(source, { 'a.sql': 'back' });
    const back = n.run('cycle');
    assert.equal(back.status, 0, back.stderr);
    assert.doesNotMatch(back.stderr, /resuming into/);
  });

  test('sync --dry-run and cycle --dry-run list what would be transferred and change nothing', () => {
    const source = join(root, 'src-dry');
    writeFiles(source, { 'x.gz': 'data' });
    const n = node('dry', [{ name: 'db', group: 'databases', from: source }]);
    const result = n.run('sync', '--dry-run');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /would transfer 1 file\b/);
    const pass = n.run('cycle', '--dry-run');
    assert.equal(pass.status, 0, pass.stderr);
    assert.match(pass.stdout, /sync databases\s+ok\s+1 source: would transfer 1 file\b/);
    assert.deepEqual(readdirSync(n.store), []);
    assert.equal(existsSync(join(n.dir, 'state', 'state.json')), false, 'not even the pass is recorded');
  });

  test('a missing source directory is 41 in one line, and the store is untouched', () => {
    const n = node('missing-source', [{ name: 'db', group: 'databases', from: join(root, 'no-such-dir') }]);
    const result = n.run('sync');
    assert.equal(result.status, 41);
    assert.match(result.stderr, /^odbackup sync: db: the source directory .*no-such-dir does not exist \[exit 41: sourceUnreachable\]$/m);
    assert.deepEqual(n.snapshots('db'), []);
  });

  test('one source unreachable costs the others nothing: they are pulled, verified and promoted; the pass exits 41 naming it', () => {
    const db = join(root, 'src-one-db');
    const img = join(root, 'src-one-img');
    writeFiles(db, { 'dump.sql': 'select 1;' });
    writeFiles(img, { 'photo.raw': Buffer.alloc(5000, 1) });
    const n = node('one-fails', [
      { name: 'db', group: 'databases', from: db },
      { name: 'gone', group: 'databases', from: join(root, 'src-one-missing') },
      { name: 'img', group: 'images', from: img },
    ]);
    const pass = n.run('cycle');
    assert.equal(pass.status, 41, pass.stdout + pass.stderr);
    assert.match(pass.stderr, /odbackup cycle: sync databases: gone: the source directory .*src-one-missing does not exist/);
    assert.ok(n.latest('db') && n.latest('img'), 'the sources that answered are promoted');
    assert.equal(n.latest('gone'), undefined);
    const status = JSON.parse(n.run('--json', 'status').stdout) as { data: { passes: { firstFailure: { source?: string; code: string } }[] } };
    assert.deepEqual(status.data.passes[0]!.firstFailure.source, 'gone');
    assert.match(n.run('status').stdout, /verify\s+ok/);
  });

  test('a missing store is 10 and nothing is written anywhere', () => {
    const source = join(root, 'src-nostore');
    writeFiles(source, { f: '1' });
    const n = node('nostore', [{ name: 'db', group: 'databases', from: source }]);
    rmSync(n.store, { recursive: true });
    const result = n.run('sync');
    assert.equal(result.status, 10);
    assert.match(result.stderr, /the store .* does not exist/);
    assert.equal(existsSync(n.store), false);
  });

  test('an unknown target is a usage error naming the known ones', () => {
    const n = node('unknown-target', [{ name: 'db', group: 'databases', from: join(root, 'src-basic') }]);
    const result = n.run('sync', 'photos');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /no source or group named "photos".*\n {2}hint: known: databases, db/);
  });
});

describe('expected files and source integrity', () => {
  const day = String(new Date().getDate()).padStart(2, '0');

  test("today's dump missing: 42, no snapshot, latest stays", async () => {
    const source = join(root, 'src-expect');
    writeFiles(source, { [`dump_daily_${day}.psql.gz.enc`]: 'today' });
    const n = node('expect', [{ name: 'db', group: 'databases', from: source, expect: ['dump_daily_{%d}.psql.gz.enc'] }]);
    assert.equal(n.pass().status, 0);
    const before = n.latest('db');
    rmSync(join(source, `dump_daily_${day}.psql.gz.enc`));
    writeFiles(source, { 'dump_daily_00.psql.gz.enc': 'other' });
    await new Promise((done) => setTimeout(done, 1100));
    const result = n.run('sync');
    assert.equal(result.status, 42);
    assert.match(result.stderr, new RegExp(`db: expected "dump_daily_${day}.psql.gz.enc" not found`));
    assert.equal(n.latest('db'), before);
    assert.deepEqual(n.snapshots('db'), [before]);
  });

  test('a bad signature is 43 and the snapshot is not made; a good one passes', () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyFile = join(root, 'signing.pub');
    writeFileSync(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
    const source = join(root, 'src-sign');
    const dump = Buffer.from('pg_dump output');
    writeFiles(source, { 'db.psql.gz.enc': dump, 'db.psql.gz.enc.sign': sign('sha256', dump, privateKey) });
    const n = node('sign', [{ name: 'db', group: 'databases', from: source, integrity: { publicKey: keyFile } }]);
    const good = n.pass();
    assert.equal(good.status, 0, good.stderr);
    const before = n.latest('db');
    writeFiles(source, { 'db.psql.gz.enc': 'tampered output' });
    const bad = n.run('sync');
    assert.equal(bad.status, 43);
    assert.match(bad.stderr, /db: db\.psql\.gz\.enc: signature db\.psql\.gz\.enc\.sign does not match/);
    assert.equal(n.latest('db'), before);
  });

  test('a corrupt gzip and a SHA256SUMS mismatch are 43', () => {
    const source = join(root, 'src-gzip');
    const good = gzipSync('hello');
    writeFiles(source, { 'a.gz': good, SHA256SUMS: `${createHash('sha256').update(good).digest('hex')}  a.gz\n` });
    const n = node('gzip', [{ name: 'db', group: 'databases', from: source, integrity: { gzip: true, sha256sums: true } }]);
    assert.equal(n.run('sync').status, 0);
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 6]! ^= 0xff;
    writeFiles(source, { 'a.gz': corrupt });
    // Same size: rsync's quick check compares whole-second mtimes, so make the change visible to it.
    utimesSync(join(source, 'a.gz'), new Date(), new Date(Date.now() + 5000));
    const gz = n.run('sync');
    assert.equal(gz.status, 43);
    assert.match(gz.stderr, /a\.gz: (SHA256 differs from SHA256SUMS|gzip test failed)/);
    const bad = node('sums', [{ name: 'db', group: 'databases', from: source, integrity: { sha256sums: true } }]);
    const sums = bad.run('sync');
    assert.equal(sums.status, 43);
    assert.match(sums.stderr, /a\.gz: SHA256 differs from SHA256SUMS/);
  });
});

describe('what real sources do', () => {
  const manifestCheck = (store: string, snapshot: string) =>
    execFileSync('xxh64sum', ['-c', '--quiet', `../${snapshot}.xxh64`], { cwd: join(store, snapshot), encoding: 'utf8' });

  test('a source that shrank or went empty (an export not mounted tonight) is 45: not promoted, latest stays; back to normal, the next pass is 0', async () => {
    const source = join(root, 'src-shrink');
    writeFiles(source, Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`f${index}.dat`, `data ${index}`.repeat(100)])));
    const n = node('shrink', [{ name: 'nas', group: 'images', from: source }]);
    assert.equal(n.pass().status, 0);
    const good = n.latest('nas');
    for (let index = 0; index < 6; index++) rmSync(join(source, `f${index}.dat`));
    await new Promise((done) => setTimeout(done, 1100));
    const shrunk = n.pass();
    assert.equal(shrunk.status, 45, shrunk.stderr);
    assert.match(shrunk.stderr, /nas: the source shrank: 4 files, .* against 10 files, .* in the previous snapshot \(more than 50% lost\)/);
    assert.equal(n.latest('nas'), good);
    assert.deepEqual(n.snapshots('nas'), [good], 'no snapshot was named');
    for (const name of readdirSync(source)) rmSync(join(source, name));
    const empty = n.pass();
    assert.equal(empty.status, 45);
    assert.match(empty.stderr, /nas: the source is empty \(the previous snapshot had 10 files\): was it mounted\?/);
    writeFiles(source, Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`f${index}.dat`, `data ${index}`.repeat(100)])));
    await new Promise((done) => setTimeout(done, 1100));
    assert.equal(n.pass().status, 0);
    assert.notEqual(n.latest('nas'), good);
  });

  test('a source that shrank on purpose: refused, accepted once (kept through a failed pull), taken by the next pass, then guarded again', async () => {
    const source = join(root, 'src-shrink-accept');
    const video = (index: number) => [`video${index}.mp4`, Buffer.alloc(100_000, index)] as const;
    writeFiles(source, Object.fromEntries([...Array.from({ length: 8 }, (_, index) => video(index)), ['notes.txt', 'kept']]));
    const n = node('shrink-accept', [{ name: 'media', group: 'images', from: source }]);
    assert.equal(n.pass().status, 0);
    const full = n.latest('media');
    for (let index = 0; index < 7; index++) rmSync(join(source, `video${index}.mp4`));
    await sleep(1100);
    const refused = n.pass();
    assert.equal(refused.status, 45);
    assert.match(refused.stderr, /not promoted: latest stays on .*; if it shrank on purpose, `odbackup sync media --accept-shrink` takes it once/);
    assert.equal(n.latest('media'), full);

    // Accepted while the source is away: that pull fails (41), the acceptance stands for the next pass.
    renameSync(source, `${source}.away`);
    const away = n.run('sync', 'media', '--accept-shrink');
    assert.equal(away.status, 41, away.stderr);
    assert.match(away.stderr, /media: a shrink is accepted once/);
    renameSync(`${source}.away`, source);
    await sleep(1100);
    const taken = n.pass();
    assert.equal(taken.status, 0, taken.stderr);
    assert.match(taken.stderr, /media: the source shrank: 2 files, .* taken once, as accepted; the guard is armed again/);
    assert.notEqual(n.latest('media'), full);
    const journal = readFileSync(join(n.dir, 'state', 'journal.jsonl'), 'utf8');
    assert.match(journal, /"event":"shrink-accepted".*"message":"media: the next pull may shrink/);
    assert.match(journal, /"event":"shrink-taken".*"message":"media: \d{4}-\d\d-\d\dT\d{6}Z taken as accepted/);

    await sleep(1100);
    assert.equal(n.pass().status, 0, 'the nights after it are back to normal');
    rmSync(join(source, 'video7.mp4'));
    await sleep(1100);
    assert.equal(n.pass().status, 45, 'the guard is armed again');
    const wrong = n.run('sync', 'images', '--accept-shrink');
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /--accept-shrink needs one source's name, not "images"/);
  });

  test('a pull cut off by kill -9 resumes without trusting what it wrote: a file rewritten with the same size and mtime is fetched again', async () => {
    const source = join(root, 'src-stale');
    writeFiles(source, { 'a-dump.sql': 'version 1 of the dump', 'z-image.img': randomBytes(1_500_000) });
    const stamp = new Date('2026-11-24T02:00:00Z');
    utimesSync(join(source, 'a-dump.sql'), stamp, stamp);
    // Slow enough that the pass is still copying the image when it is killed.
    const n = node('stale', [{ name: 'db', group: 'databases', from: source, bwlimit: '200k' }]);
    const child = odbackupSpawn(['--config', n.config, 'cycle', '--skip', 'prune']);
    const copied = join(n.store, 'db', '.partial', 'a-dump.sql');
    for (let waited = 0; !existsSync(copied); waited += 100) {
      assert.ok(waited < 20_000, 'the pull wrote a-dump.sql');
      await sleep(100);
    }
    await sleep(300);
    process.kill(-child.pid!, 'SIGKILL');
    await new Promise((done) => child.on('close', done));
    // Rewritten at the source within the same second as the cut-off copy: same size, same mtime.
    writeFileSync(join(source, 'a-dump.sql'), 'version 2 of the dump');
    utimesSync(join(source, 'a-dump.sql'), stamp, stamp);
    const resumed = n.pass();
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.match(resumed.stderr, /db: \d+ files written before the cut compared by content with the source: 1 differed and were fetched again/);
    assert.equal(readFileSync(join(n.store, 'db', 'latest', 'a-dump.sql'), 'utf8'), 'version 2 of the dump');
    assert.equal(statSync(join(n.store, 'db', 'latest', 'a-dump.sql')).mtimeMs, stamp.getTime(), 'the source mtime is kept');
  });

  test('the first snapshot of an empty source has a manifest xxh64sum -c accepts', () => {
    const source = join(root, 'src-empty');
    mkdirSync(source, { recursive: true });
    const n = node('empty', [{ name: 'spool', group: 'databases', from: source }]);
    const pass = n.pass();
    assert.equal(pass.status, 0, pass.stderr);
    assert.equal(manifestCheck(join(n.store, 'spool'), n.latest('spool')!), '');
    assert.equal(n.run('verify', '--full').status, 0);
  });

  test('two pulls in the same second take the next free name; temp files a kill left are removed; an unpromoted snapshot is linked from', () => {
    const source = join(root, 'src-second');
    writeFiles(source, { 'big.img': Buffer.alloc(200_000, 2) });
    const n = node('second', [{ name: 'db', group: 'databases', from: source }]);
    // A clock frozen at one second (FAKETIME without @); file times real, or --link-dest would never match.
    const { env } = nightClock('2026-11-25 03:00:00', { frozen: true });
    const sync = () => spawnSync(process.execPath, [BIN, '--config', n.config, 'sync'], { encoding: 'utf8', env: { ...process.env, ...env } });
    const first = sync();
    const second = sync();
    assert.equal(first.status, 0, first.stderr);
    assert.equal(second.status, 0, second.stderr);
    const [one, two] = n.snapshots('db') as [string, string];
    assert.deepEqual([one, two], ['2026-11-25T030000Z', '2026-11-25T030001Z']);
    assert.equal(n.latest('db'), undefined, 'neither was verified');
    assert.equal(
      statSync(join(n.store, 'db', one, 'big.img')).ino,
      statSync(join(n.store, 'db', two, 'big.img')).ino,
      'linked from the newest complete snapshot',
    );
    const stray = join(n.store, 'db', `.${two}.xxh64.4242.tmp`);
    writeFileSync(stray, 'half a manifest');
    assert.equal(n.run('sync').status, 0);
    assert.equal(existsSync(stray), false);
  });

  test('a write-back that fails (sync -f: EIO) is 16: no manifest and no snapshot named, latest stays; the next pass is 0', async () => {
    const source = join(root, 'src-eio');
    writeFiles(source, { 'a.sql': 'one', 'b.img': Buffer.alloc(300_000, 3) });
    // What coreutils' sync prints when syncfs reports a lost write: a disk cannot be made to lose one here.
    const failingSync = join(root, 'sync-eio');
    writeFileSync(failingSync, `#!/bin/sh\necho "sync: error syncing '$2': Input/output error" >&2\nexit 1\n`, { mode: 0o755 });
    const sources = [{ name: 'db', group: 'databases', from: source }];
    const n = node('eio', sources);
    assert.equal(n.pass().status, 0);
    const good = n.latest('db')!;
    const flushLost = node('eio', sources, { system: { programs: { sync: failingSync } } });
    writeFileSync(join(source, 'a.sql'), 'two');
    await new Promise((done) => setTimeout(done, 1100));
    const failed = flushLost.pass();
    assert.equal(failed.status, 16, failed.stderr);
    assert.match(failed.stderr, /db: writing back \S+\/db\/\.partial failed: sync: error syncing '\S+': Input\/output error/);
    assert.deepEqual(n.snapshots('db'), [good], 'no snapshot was named');
    assert.deepEqual(
      readdirSync(join(n.store, 'db')).filter((name) => name.endsWith('.xxh64') || name.includes('.tmp')),
      [`${good}.xxh64`],
      'no manifest of the failed pull, not even a temp file',
    );
    assert.equal(n.latest('db'), good);
    node('eio', sources);
    await new Promise((done) => setTimeout(done, 1100));
    assert.equal(n.pass().status, 0);
    assert.notEqual(n.latest('db'), good);
    assert.equal(manifestCheck(join(n.store, 'db'), n.latest('db')!), '');
  });
});

describe('git mirrors', () => {
  test('a repository is mirrored into the snapshot; an unreachable one is 44', () => {
    const work = join(root, 'git-work');
    const bare = join(root, 'site.git');
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: work,
        env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
      });
    mkdirSync(work, { recursive: true });
    git('init', '-q', '-b', 'main');
    writeFileSync(join(work, 'README'), 'v1');
    git('add', 'README');
    git('commit', '-qm', 'v1');
    execFileSync('git', ['clone', '-q', '--bare', work, bare]);
    const n = node('git', [{ name: 'code', group: 'git', repositories: [`file://${bare}`] }]);
    const result = n.pass();
    assert.equal(result.status, 0, result.stderr);
    const mirror = join(n.store, 'code', 'latest', 'site.git');
    assert.equal(execFileSync('git', ['--git-dir', mirror, 'log', '--format=%s', 'main'], { encoding: 'utf8' }).trim(), 'v1');
    const broken = node('git-broken', [{ name: 'code', group: 'git', repositories: [`file://${join(root, 'nope.git')}`] }]);
    const failure = broken.run('sync');
    assert.equal(failure.status, 44);
    assert.match(failure.stderr, /code: mirror of file:\/\/.*nope\.git failed: /);
  });
});

describe('retention', () => {
  test('prune keeps the newest per day, week and month, never latest; --dry-run removes nothing', () => {
    const n = node('retention', [{ name: 'db', group: 'databases', from: join(root, 'src-basic') }], { retention: { daily: 2, weekly: 2, monthly: 2 } });
    const names = [
      '2026-08-15T030000Z',
      '2026-09-20T030000Z',
      '2026-10-01T030000Z',
      '2026-11-02T030000Z',
      '2026-11-10T030000Z',
      '2026-11-20T030000Z',
      '2026-11-21T030000Z',
      '2026-11-21T150000Z',
      '2026-11-22T030000Z',
    ];
    for (const name of names) writeFiles(join(n.store, 'db', name), { f: name });
    execFileSync('ln', ['-s', '2026-11-20T030000Z', join(n.store, 'db', 'latest')]);
    const dry = n.run('--json', 'prune', '--dry-run');
    assert.equal(dry.status, 0, dry.stderr);
    const wouldGo = JSON.parse(dry.stdout).data.map((removal: { snapshot: string }) => removal.snapshot);
    assert.deepEqual(n.snapshots('db'), names);
    const result = n.run('prune');
    assert.equal(result.status, 0, result.stderr);
    // daily: 11-22 and 11-21 15:00; weekly: 11-22 (W47) and 11-10 (W46); monthly: 11-22 and 10-01; latest: 11-20.
    assert.deepEqual(n.snapshots('db'), ['2026-10-01T030000Z', '2026-11-10T030000Z', '2026-11-20T030000Z', '2026-11-21T150000Z', '2026-11-22T030000Z']);
    assert.deepEqual(wouldGo, ['2026-08-15T030000Z', '2026-09-20T030000Z', '2026-11-02T030000Z', '2026-11-21T030000Z']);
    assert.equal(n.latest('db'), '2026-11-20T030000Z');
    assert.ok(!readdirSync(join(n.store, 'db')).some((name) => name.startsWith('.removing-')));
  });

  test('a snapshot rm cannot remove is 16 naming it; the next prune finishes the removal', { skip: !isRoot() && 'chattr +i needs root' }, () => {
    const n = node('stuck', [{ name: 'db', group: 'databases', from: join(root, 'src-basic') }], { retention: { daily: 1, weekly: 0, monthly: 0 } });
    for (const name of ['2026-11-20T030000Z', '2026-11-21T030000Z'])
      writeFiles(join(n.store, 'db', name), { 'a/f': name, 'b c/-d': 'a name rm must not take for an option' });
    execFileSync('ln', ['-s', '2026-11-21T030000Z', join(n.store, 'db', 'latest')]);
    const stuck = join(n.store, 'db', '2026-11-20T030000Z', 'a', 'f');
    execFileSync('chattr', ['+i', stuck]);
    try {
      const refused = n.run('prune');
      assert.equal(refused.status, 16, refused.stderr);
      assert.match(refused.stderr, /db: could not remove \.removing-2026-11-20T030000Z: rm: cannot remove '.*\/a\/f': Operation not permitted \[exit 16/);
      assert.deepEqual(n.snapshots('db'), ['2026-11-21T030000Z'], 'the snapshot left its name at once');
    } finally {
      execFileSync('chattr', ['-i', join(n.store, 'db', '.removing-2026-11-20T030000Z', 'a', 'f')]);
    }
    assert.equal(n.run('prune').status, 0);
    assert.deepEqual(readdirSync(join(n.store, 'db')).sort(), ['2026-11-21T030000Z', 'latest']);
  });
});
