import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { classifyRsyncFailure } from '../src/adapters/rsync.js';
import { BIN, isRoot, odbackup, removeDir, tempDir, writeConfig, writeFiles } from './helpers.js';

const root = tempDir();
const mounts: string[] = [];
after(() => {
  for (const mount of mounts) spawnSync('umount', [mount]);
  removeDir(root);
});

const rsyncRun = (exitCode: number, stderr: string) => ({ command: 'rsync', exitCode, notFound: false, cancelled: false, timedOut: false, stdout: '', stderr });

test('rsync failures name the files and rsync\'s reason, not only its last line (stderr recorded from rsync 3.5)', () => {
  const unreadable = classifyRsyncFailure(
    rsyncRun(
      23,
      [
        'rsync: [generator] failed to set times on "/backup/dst/.": Operation not permitted (1)',
        'rsync: [sender] send_files failed to open "/srv/dumps/secret.sql": Permission denied (13)',
        'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]',
      ].join('\n'),
    ),
  );
  assert.equal(unreadable.message, '1 file could not be copied: "/srv/dumps/secret.sql" (Permission denied)');
  assert.deepEqual(unreadable.lines?.length, 2);
  const readOnly = classifyRsyncFailure(
    rsyncRun(11, 'rsync: [Receiver] mkdir "/mnt/backup/db/.partial" failed: Read-only file system (30)\nrsync error: error in file IO (code 11) at main.c(808) [Receiver=3.5.0]'),
  );
  assert.deepEqual([readOnly.kind, readOnly.message], ['storeReadOnly', 'the store is read-only (Read-only file system: /mnt/backup/db/.partial)']);
});

test('a file the backup user cannot read: 40 naming it and "Permission denied"; readable again, the next pass is 0', { skip: !isRoot() && 'needs root to run the pass as nobody' }, () => {
  const dir = join(root, 'unreadable');
  chmodSync(root, 0o755);
  writeFiles(join(dir, 'source'), { 'ok.sql': 'fine', 'secret.sql': 'hidden' });
  const config = writeConfig(dir, [{ name: 'db', group: 'databases', from: join(dir, 'source') }]);
  chmodSync(join(dir, 'source', 'secret.sql'), 0o000);
  execFileSync('chmod', ['-R', 'a+rwX', join(dir, 'store'), dir]);
  chmodSync(join(dir, 'source', 'secret.sql'), 0o000);
  const asNobody = (...args: string[]) =>
    spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, BIN, '--config', config, ...args], { encoding: 'utf8' });
  const pass = asNobody('cycle');
  assert.equal(pass.status, 40, pass.stderr);
  assert.match(pass.stderr, /db: 1 file could not be copied: ".*secret\.sql" \(Permission denied\)/);
  assert.match(pass.stderr, /send_files failed to open ".*secret\.sql": Permission denied \(13\)/, 'rsync\'s own line is kept');
  chmodSync(join(dir, 'source', 'secret.sql'), 0o644);
  const again = asNobody('cycle');
  assert.equal(again.status, 0, again.stderr);
});

test('a read-only store and a read-only state directory: 16 in one line, never 1', { skip: !isRoot() && 'needs root to mount' }, () => {
  const dir = join(root, 'readonly');
  writeFiles(join(dir, 'source'), { 'a.txt': 'a' });
  const config = writeConfig(dir, [{ name: 'db', group: 'databases', from: join(dir, 'source') }]);
  const store = join(dir, 'store');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', store]);
  mounts.push(store);
  const sync = odbackup(['--config', config, 'sync']);
  assert.equal(sync.status, 16, sync.stderr);
  assert.match(sync.stderr, /cannot mkdir .*store\/db: read-only file system/);
  assert.doesNotMatch(sync.stderr, /internal error|\n\s+at /);
  const state = join(root, 'readonly-state');
  mkdirSync(state);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', state]);
  mounts.push(state);
  const roState = writeConfig(join(root, 'readonly-2'), [{ name: 'db', group: 'databases', from: join(dir, 'source') }], { stateDir: state });
  const pass = odbackup(['--config', roState, 'cycle']);
  assert.equal(pass.status, 16, pass.stderr);
  assert.match(pass.stderr, /cannot open .*readonly-state\/lock: read-only file system/);
});
