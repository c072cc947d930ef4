import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { makeExt4, type Ext4 } from './harness/ext4.js';
import { filesOpenUnder, nightClock } from './harness/nights.js';
import { JOURNAL_ROTATE_BYTES } from '../src/state/run-state.js';
import { BIN, isRoot, odbackupAsync, removeDir, tempDir, writeFiles } from './helpers.js';

const root = tempDir();
let disk: Ext4 | undefined;
after(() => {
  disk?.destroy();
  removeDir(root);
});

const SNAPSHOT = /^\d{4}-\d{2}-\d{2}T\d{6}Z$/;

test(
  'a week of nights on a real disk (storage.device): every night exits 0, retention is exact, the disk is left read-only',
  { skip: !isRoot() && 'needs root for loop devices and mount' },
  async () => {
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
      assert.deepEqual(
        mountOptions(disk.mountPoint).filter((option) => option === 'ro' || option === 'rw'),
        ['ro'],
        `night ${night} leaves the disk read-only`,
      );
      assert.deepEqual(filesOpenUnder(disk.mountPoint), [], `night ${night}: no file of the store is open after the pass`);
      const sleep = await odbackupAsync(['--config', config, 'suspend', '--dry-run'], at.env, at.prefix);
      assert.equal(sleep.status, 0, sleep.stderr);
      const tomorrow = new Date(Date.parse(`${night}T03:00:00Z`) + 86_400_000).toISOString();
      assert.match(sleep.stdout, new RegExp(`would wake at .*\\(${tomorrow.replace(/[.]/g, '\\.')}\\)`), `night ${night} arms the alarm for the next night`);
    }
    const snapshots = readdirSync(join(disk.mountPoint, 'db')).filter((name) => SNAPSHOT.test(name));
    // daily 2: the 24th and the 25th; weekly 2: the newest of week 48 (the 25th) and of week 47 (Sunday the 22nd).
    assert.deepEqual(
      snapshots.map((name) => name.slice(0, 10)),
      ['2026-11-22', '2026-11-24', '2026-11-25'],
    );
    const latest = readlinkSync(join(disk.mountPoint, 'db', 'latest'));
    assert.equal(latest.slice(0, 10), '2026-11-25');
    const inodes = snapshots.map((snapshot) => statSync(join(disk!.mountPoint, 'db', snapshot, 'base.img')).ino);
    assert.equal(new Set(inodes).size, 1, 'an unchanged file is one inode in every snapshot (hard links, not copies)');
    for (const snapshot of snapshots) {
      const output: string = execFileSync('xxh64sum', ['-c', '--quiet', `../${snapshot}.xxh64`], {
        cwd: join(disk.mountPoint, 'db', snapshot),
        encoding: 'utf8',
      });
      assert.equal(output, '', `${snapshot} passes xxh64sum -c`);
    }
  },
);

function mountOptions(mountPoint: string): string[] {
  return execFileSync('findmnt', ['--noheadings', '--output', 'OPTIONS', '--mountpoint', mountPoint], { encoding: 'utf8' }).trim().split(',');
}

test('sixty nights with a missing dump and a kill -9: every other night exits 0, the scrub keeps its promise, retention is exact, the journal stays bounded', async () => {
  const dir = join(root, 'sixty');
  const source = join(dir, 'source');
  writeFiles(source, { 'base.img': Buffer.alloc(300_000, 3) });
  const scrubDays = 10;
  const config = join(dir, 'odbackup.json');
  mkdirSync(join(dir, 'store'), { recursive: true });
  writeFileSync(
    config,
    JSON.stringify({
      node: 'year',
      stateDir: join(dir, 'state'),
      storage: { path: join(dir, 'store') },
      sources: [{ name: 'db', group: 'databases', from: source, expect: ['dump-{%Y-%m-%d}.sql'] }],
      retention: { daily: 2, weekly: 3, monthly: 3 },
      verify: { scrubDays },
      schedule: { times: ['03:00'], networkSettleSeconds: 0 },
      suspend: { mode: 'none' },
      display: { port: 'none' },
    }),
  );
  const missingDump = new Set(['2027-01-20', '2027-02-10']);
  const killed = '2027-02-03';
  let missed = 0;
  for (let n = 0; n < 60; n++) {
    const night = new Date(Date.UTC(2027, 0, 6 + n)).toISOString().slice(0, 10);
    const at = nightClock(`${night} 03:00:00`);
    // A different size every night: rsync resuming into .partial trusts size and mtime (one-second resolution).
    writeFiles(source, { 'notes.txt': `night ${n}\n`.repeat(n + 1) });
    if (!missingDump.has(night)) writeFiles(source, { [`dump-${night}.sql`]: `dump of ${night}\n`.repeat(200) });
    if (night === killed) {
      await killDuringSync(['--config', config, 'cycle'], at);
      missed++;
      continue;
    }
    const pass = await odbackupAsync(['--config', config, 'cycle'], at.env, at.prefix);
    if (missingDump.has(night)) {
      assert.equal(pass.status, 42, `${night}: ${pass.stderr}`);
      missed++;
      continue;
    }
    assert.equal(pass.status, 0, `${night}: ${pass.stdout}${pass.stderr}`);
    const status = await odbackupAsync(['--config', config, '--json', 'status'], at.env, at.prefix);
    const coverage = (JSON.parse(status.stdout) as { data: { verifiedWithinDays?: number } }).data.verifiedWithinDays;
    if (n >= scrubDays + missed)
      assert.ok(coverage !== undefined && coverage <= scrubDays + missed, `${night}: every byte verified within ${coverage} days (${missed} nights missed)`);
  }
  const store = join(dir, 'store', 'db');
  const snapshots = readdirSync(store).filter((name) => SNAPSHOT.test(name));
  // daily 2: 6 and 5 March; weekly 3: newest of weeks 9, 8, 7 (6 March, 28 and 21 February); monthly 3: 6 March, 28 February, 31 January.
  assert.deepEqual(
    snapshots.map((name) => name.slice(0, 10)),
    ['2027-01-31', '2027-02-21', '2027-02-28', '2027-03-05', '2027-03-06'],
  );
  const inodes = new Set(snapshots.map((snapshot) => statSync(join(store, snapshot, 'base.img')).ino));
  assert.equal(inodes.size, 1, 'base.img is one inode in every kept snapshot');
  const journal = join(dir, 'state', 'journal.jsonl');
  assert.ok(existsSync(`${journal}.1`), 'the journal was rotated');
  const kept = statSync(journal).size + statSync(`${journal}.1`).size;
  assert.ok(kept <= 2 * JOURNAL_ROTATE_BYTES + 16 * 1024, `the journal keeps ${kept} bytes`);
});

/** A pass killed with SIGKILL (its whole process group) once rsync is pulling: a power cut as the process sees it. */
async function killDuringSync(args: string[], at: ReturnType<typeof nightClock>): Promise<void> {
  const [file, ...rest] = [...at.prefix, process.execPath, BIN, ...args];
  const child = spawn(file!, rest, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...at.env, NO_COLOR: '1' }, detached: true });
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      if (/pulling from/.test(chunk.toString())) process.kill(-child.pid!, 'SIGKILL');
    });
    child.on('close', () => resolve());
  });
}
