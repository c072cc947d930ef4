import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { odbackup, odbackupSpawn, removeDir, tempDir, waitFor, writeConfig, writeFiles } from './helpers.js';

const root = tempDir();
after(() => removeDir(root));

/** Eleven 2 MiB files of random data and one of bigMiB, pulled at bwlimit: a pass that takes a few seconds. */
function slowNode(name: string, bigMiB = 2, bwlimit = '4m') {
  const dir = join(root, name);
  const source = join(dir, 'source');
  mkdirSync(source, { recursive: true });
  for (let i = 0; i < 12; i++) writeFileSync(join(source, `image-${String(i).padStart(2, '0')}.raw`), randomBytes((i === 11 ? bigMiB : 2) * 1024 * 1024));
  const sources = (limit?: string) => [{ name: 'images', group: 'images', from: source, ...(limit ? { bwlimit: limit } : {}) }];
  const config = writeConfig(dir, sources(bwlimit));
  return { dir, source, config, store: join(dir, 'store'), fast: () => writeConfig(dir, sources()) };
}

const hashTree = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => [
        name,
        createHash('sha256')
          .update(readFileSync(join(dir, name)))
          .digest('hex'),
      ]),
  );

test('a second cycle while one runs exits 3 at once', async () => {
  const n = slowNode('lock');
  const first = odbackupSpawn(['--config', n.config, 'cycle']);
  const exited = new Promise<number | null>((done) => first.on('exit', done));
  await waitFor(() => existsSync(join(n.dir, 'state', 'lock')), 'the first pass to take the lock');
  const started = Date.now();
  const second = odbackup(['--config', n.config, 'cycle']);
  assert.equal(second.status, 3);
  assert.match(second.stderr, /a cycle is running \(pid \d+, started .*\) and holds the lock/);
  assert.ok(Date.now() - started < 5000, 'exits at once');
  assert.equal(await exited, 0);
});

test('a stale lock from a dead process is taken over', () => {
  const n = slowNode('stale');
  n.fast();
  mkdirSync(join(n.dir, 'state'), { recursive: true });
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  writeFileSync(join(n.dir, 'state', 'lock'), JSON.stringify({ pid: 2 ** 22 + 7, bootId, startedAt: '2026-01-01T00:00:00Z' }));
  const result = odbackup(['--config', n.config, 'cycle']);
  assert.equal(result.status, 0, result.stderr);
  assert.equal(existsSync(join(n.dir, 'state', 'lock')), false);
});

test('power cut (kill -9 of node and rsync) mid-transfer of 222 MiB: status shows the interrupted pass; the next pass resumes, equals the source, latest only ever complete', async () => {
  const n = slowNode('kill', 200, '40m');
  const pass = odbackupSpawn(['--config', n.config, 'cycle']);
  const partial = join(n.store, 'images', '.partial');
  // The eleven small files are in, the big one is on its way (rsync's temp file `.image-11.raw.XXXXXX`).
  await waitFor(() => existsSync(partial) && readdirSync(partial).some((name) => name.startsWith('.image-11.raw.')), 'the big file to be on its way', 30000);
  process.kill(-pass.pid!, 'SIGKILL');
  await new Promise((done) => pass.on('exit', done));
  assert.equal(existsSync(join(n.store, 'images', 'latest')), false, 'latest never points at an incomplete snapshot');
  assert.deepEqual(
    readdirSync(join(n.store, 'images')).filter((name) => /^\d{4}-\d{2}-\d{2}T\d{6}Z$/.test(name)),
    [],
    'no snapshot that looks complete',
  );

  const status = odbackup(['--config', n.config, 'status']);
  assert.equal(status.status, 0);
  assert.match(status.stdout, /was interrupted; the next pass resumes it/);
  assert.match(status.stdout, /interrupted/);

  n.fast();
  const resumed = odbackup(['--config', n.config, 'cycle']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout, /resumed after interruption of pass/);
  assert.match(resumed.stderr, /resuming into .*\.partial, left by an interrupted pass/);
  const latest = readlinkSync(join(n.store, 'images', 'latest'));
  assert.deepEqual(hashTree(join(n.store, 'images', latest)), hashTree(n.source));
  const state = JSON.parse(readFileSync(join(n.dir, 'state', 'state.json'), 'utf8'));
  assert.equal(state.passes[0].resumedAfter, state.passes[1].runId);
  assert.equal(state.passes[1].outcome, 'interrupted');
  // Every file of the snapshot was written by this pass or the cut-off one: the record lists all 12 for verify.
  assert.equal(readFileSync(state.sources.images.transferredList, 'utf8').split('\0').filter(Boolean).length, 12);
  // What it reports is what it transferred this time: the big file, not the eleven the cut-off pass had written.
  assert.equal(state.sources.images.added + state.sources.images.changed, 1);
  const afterStatus = odbackup(['--config', n.config, 'status']);
  assert.match(afterStatus.stdout, /completed \(resumed after interruption\)/);
});

test('SIGTERM during a pass: the data steps stop, exit 143, and the next pass resumes', async () => {
  const n = slowNode('sigterm');
  const pass = odbackupSpawn(['--config', n.config, 'cycle']);
  let stderr = '';
  pass.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((done) => pass.on('close', done));
  await waitFor(() => existsSync(join(n.store, 'images', '.partial')), 'the transfer to start');
  pass.kill('SIGTERM');
  assert.equal(await exited, 143);
  assert.match(stderr, /^odbackup cycle: .*stopped by .*\[exit 143: terminated\]$/m);
  assert.equal(existsSync(join(n.store, 'images', 'latest')), false);
  n.fast();
  assert.equal(odbackup(['--config', n.config, 'cycle']).status, 0);
});

test('a damaged state.json is kept aside with one warning; the history comes back from the journal and the next pass is 0', () => {
  const dir = join(root, 'damaged');
  writeFiles(join(dir, 'source'), { 'a.txt': 'a' });
  const config = writeConfig(dir, [{ name: 'db', group: 'databases', from: join(dir, 'source') }]);
  assert.equal(odbackup(['--config', config, 'cycle']).status, 0);
  const statePath = join(dir, 'state', 'state.json');
  writeFileSync(statePath, readFileSync(statePath, 'utf8').slice(0, 200));
  const status = odbackup(['--config', config, 'status']);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stderr, /state\.json was damaged \(.*\); kept as .*state\.json\.damaged-\S+, the pass history rebuilt from the journal/);
  assert.match(status.stdout, /^last pass completed at \S+ \(exit 0\)/);
  assert.ok(readdirSync(join(dir, 'state')).some((name) => name.startsWith('state.json.damaged-')));
  const next = odbackup(['--config', config, 'cycle']);
  assert.equal(next.status, 0, next.stderr);
  assert.doesNotMatch(next.stderr, /was damaged/, 'warned once');
});

test('cycle --dry-run creates nothing: no state directory, no lock, nothing in the store', () => {
  const dir = join(root, 'dry');
  writeFiles(join(dir, 'source'), { 'a.txt': 'a' });
  const config = writeConfig(dir, [{ name: 'db', group: 'databases', from: join(dir, 'source') }]);
  assert.equal(odbackup(['--config', config, 'cycle', '--dry-run']).status, 0);
  assert.equal(existsSync(join(dir, 'state')), false);
  assert.deepEqual(readdirSync(join(dir, 'store')), []);
});

test('the pass after a power cut (the kernel booted since the cut-off pass) says so and recovers, with no maintenance at 3 a.m.', async () => {
  const n = slowNode('blackout', 20, '4m');
  const pass = odbackupSpawn(['--config', n.config, 'cycle']);
  await waitFor(() => existsSync(join(n.store, 'images', '.partial')), 'the pull to start', 30000);
  process.kill(-pass.pid!, 'SIGKILL');
  await new Promise((done) => pass.on('exit', done));
  // The machine came back up after the cut: its boot time (proc/stat btime, under system.root) is after the pass began.
  const system = join(n.dir, 'system');
  mkdirSync(join(system, 'proc'), { recursive: true });
  writeFileSync(join(system, 'proc', 'stat'), `cpu  1 2 3 4\nbtime ${Math.floor(Date.now() / 1000) + 1}\nprocesses 7\n`);
  const config = JSON.parse(readFileSync(n.config, 'utf8'));
  writeFileSync(n.config, JSON.stringify({ ...config, sources: [{ ...config.sources[0], bwlimit: undefined }], system: { root: system } }));
  await new Promise((done) => setTimeout(done, 1100));
  const resumed = odbackup(['--config', n.config, '--json', 'cycle']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /power came back: booted at .*, after the pass of .* was cut off/);
  const state = JSON.parse(readFileSync(join(n.dir, 'state', 'state.json'), 'utf8'));
  assert.equal(state.passes[0].wake.reason, 'power-restored');
  assert.equal(state.passes[0].maintenanceRequests, undefined, 'no maintenance mode');
  assert.match(odbackup(['--config', n.config, 'status']).stdout, /power came back/);
});

test('status with the store not there (unmounted, its disk away) says so and shows what the state knows, not "none, 0"', () => {
  const n = slowNode('unmounted', 1, '100m');
  assert.equal(odbackup(['--config', n.config, 'cycle']).status, 0);
  const latest = readlinkSync(join(n.store, 'images', 'latest'));
  const config = JSON.parse(readFileSync(n.config, 'utf8'));
  writeFileSync(n.config, JSON.stringify({ ...config, storage: { ...config.storage, device: 'LABEL=odbackup-no-such-disk' } }));
  const status = odbackup(['--config', n.config, 'status']);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /the storage disk LABEL=odbackup-no-such-disk is not connected: latest and snapshots as the state last recorded them/);
  assert.match(status.stdout, new RegExp(`images +images +${latest} +\\S+ +1 `));
});
