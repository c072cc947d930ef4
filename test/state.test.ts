import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { odbackup, odbackupSpawn, removeDir, tempDir, waitFor, writeConfig } from './helpers.js';

const root = tempDir();
after(() => removeDir(root));

/** 24 MiB in 12 files of random data, pulled at 4 MiB/s: a pass that takes a few seconds. */
function slowNode(name: string) {
  const dir = join(root, name);
  const source = join(dir, 'source');
  mkdirSync(source, { recursive: true });
  for (let i = 0; i < 12; i++) {
    const data = Buffer.alloc(2 * 1024 * 1024);
    for (let offset = 0; offset < data.length; offset += 4) data.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, offset);
    writeFileSync(join(source, `image-${String(i).padStart(2, '0')}.raw`), data);
  }
  const sources = (bwlimit?: string) => [{ name: 'images', group: 'images', from: source, ...(bwlimit ? { bwlimit } : {}) }];
  const config = writeConfig(dir, sources('4m'));
  return { dir, source, config, store: join(dir, 'store'), fast: () => writeConfig(dir, sources()) };
}

const hashTree = (dir: string) =>
  Object.fromEntries(readdirSync(dir).sort().map((name) => [name, createHash('sha256').update(readFileSync(join(dir, name))).digest('hex')]));

test('a second cycle while one runs exits 3 at once', async () => {
  const n = slowNode('lock');
  const first = odbackupSpawn(['--config', n.config, 'cycle']);
  const exited = new Promise<number | null>((done) => first.on('exit', done));
  await waitFor(() => existsSync(join(n.dir, 'state', 'lock')), 'the first pass to take the lock');
  const started = Date.now();
  const second = odbackup(['--config', n.config, 'cycle']);
  assert.equal(second.status, 3);
  assert.match(second.stderr, /another run \(pid \d+, started .*\) holds the lock/);
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

test('kill -9 mid-transfer: status shows the interrupted pass; the next pass resumes, equals the source, latest only ever complete', async () => {
  const n = slowNode('kill');
  const pass = odbackupSpawn(['--config', n.config, 'cycle']);
  const partial = join(n.store, 'images', '.partial');
  await waitFor(() => existsSync(partial) && readdirSync(partial).length >= 3, 'a few files in .partial');
  // A power cut: the whole process group (node and its rsync) dies at once.
  process.kill(pass.pid!, 'SIGKILL');
  await new Promise((done) => pass.on('exit', done));
  await waitFor(() => !readdirSync('/proc').some((pid) => /^\d+$/.test(pid) && safeRead(`/proc/${pid}/cmdline`).includes(partial)), 'rsync to stop');
  assert.equal(existsSync(join(n.store, 'images', 'latest')), false, 'latest never points at an incomplete snapshot');
  assert.deepEqual(readdirSync(join(n.store, 'images')).filter((name) => /^\d{4}-/.test(name)), [], 'no snapshot that looks complete');

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
  const afterStatus = odbackup(['--config', n.config, 'status']);
  assert.match(afterStatus.stdout, /completed \(resumed after interruption\)/);
});

test('SIGTERM during a pass: the data steps stop, exit 143, and the next pass resumes', async () => {
  const n = slowNode('sigterm');
  const pass = odbackupSpawn(['--config', n.config, 'cycle']);
  let stdout = '';
  pass.stdout.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise<number | null>((done) => pass.on('exit', done));
  await waitFor(() => existsSync(join(n.store, 'images', '.partial')), 'the transfer to start');
  pass.kill('SIGTERM');
  assert.equal(await exited, 143);
  assert.match(stdout, /interrupted: exit 143/);
  assert.equal(existsSync(join(n.store, 'images', 'latest')), false);
  n.fast();
  assert.equal(odbackup(['--config', n.config, 'cycle']).status, 0);
});

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
