// A school's day (OLPC's seed): twenty laptops as real sshd hosts on loopback addresses, five of them away (a closed
// port, a listener that never answers, a name that does not resolve), the servers pulled at 03:00, the laptops at
// 11:30 and 14:00, several at once, on faketime days.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { nightClock } from './harness/nights.js';
import { freePort, startSshd, type Sshd } from './harness/sshd.js';
import { isRoot, odbackupAsync, odbackupSpawn, removeDir, tempDir, waitFor, writeConfig, writeFiles, type CliResult } from './helpers.js';

const root = tempDir();
const laptops = join(root, 'laptops');
const home = join(root, 'node');
const servers = join(root, 'server-dumps');
const PRESENT = 15;
/** 16 comes back at 14:00 on the first day; 17 and 20 are closed ports; 18 never answers; 19 does not resolve. */
const address = (n: number) => `127.0.0.${n + 1}`;
const laptopName = (n: number) => `laptop-${String(n).padStart(2, '0')}`;
const servers_: Sshd[] = [];
let silent: Server | undefined;
const held: Socket[] = [];
let port = 0;
let config = '';
let mainSshd: Sshd;

async function wake(time: string, ...args: string[]): Promise<CliResult> {
  const at = nightClock(time);
  return odbackupAsync(['--config', config, ...args], at.env, at.prefix);
}
const pass = (time: string) => wake(time, 'cycle', '--if-due', '--no-suspend');
const state = () => JSON.parse(readFileSync(join(home, 'state', 'state.json'), 'utf8'));
const snapshotsOf = (name: string) => (existsSync(join(home, 'store', name)) ? readdirSync(join(home, 'store', name)).filter((entry) => /^\d{4}-/.test(entry) && !entry.endsWith('.xxh64')) : []);

before(async () => {
  port = await freePort();
  for (let n = 1; n <= 20; n++) writeFiles(join(laptops, laptopName(n)), { 'homework/essay.txt': `essay of ${n}`, 'drawings/cat.png': Buffer.alloc(20_000, n) });
  writeFiles(servers, { 'site.sql': 'dump' });
  mainSshd = await startSshd(join(root, 'sshd'), laptops, '-ro', { addresses: Array.from({ length: PRESENT }, (_, index) => address(index + 1)), port });
  servers_.push(mainSshd);
  // A listener that accepts and never says a word (a hung laptop, a gateway).
  silent = createServer((socket) => void held.push(socket));
  await new Promise<void>((resolve) => silent!.listen(port, address(18), resolve));
  const knownHosts = join(root, 'known_hosts');
  const hostKey = readFileSync(mainSshd.knownHostsFile, 'utf8').split('\n')[0]!.split(' ').slice(1).join(' ');
  writeFileSync(knownHosts, Array.from({ length: 20 }, (_, index) => `[${address(index + 1)}]:${port} ${hostKey}\n`).join(''));
  const ssh = { port, identityFile: mainSshd.identityFile, knownHostsFile: knownHosts, connectTimeout: 5 };
  const laptopSources = Array.from({ length: 20 }, (_, index) => {
    const n = index + 1;
    const host = n === 19 ? 'laptop-19.invalid' : address(n);
    return { name: laptopName(n), group: 'laptops', from: `${mainSshd.user}@${host}:/${laptopName(n)}`, ssh, overdueDays: 2, times: ['11:30', '14:00'] };
  });
  config = writeConfig(home, [{ name: 'site-db', group: 'servers', from: servers, times: ['03:00'] }, ...laptopSources], {
    schedule: { times: ['03:00', '11:30', '14:00'], networkSettleSeconds: 0 },
    sync: { parallel: 4, probeSeconds: 3 },
    display: { port: 'none', preview: join(root, 'eink.png') },
  });
});

after(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  for (const sshd of servers_) await sshd.stop();
  removeDir(root);
});

describe("a school's laptops", { skip: !isRoot() && 'needs root: sshd, and loopback addresses beyond 127.0.0.1' }, () => {
  test('03:00 pulls the server only; 11:30 pulls the present laptops, four at once, and notes five away; 14:00 catches the one that came back', async () => {
    const night = await pass('2026-12-07 03:00:00');
    assert.equal(night.status, 0, night.stdout + night.stderr);
    assert.equal(snapshotsOf('site-db').length, 1);
    assert.equal(snapshotsOf(laptopName(1)).length, 0, 'the laptops are not pulled at night');

    const morning = await pass('2026-12-07 11:30:00');
    assert.equal(morning.status, 0, morning.stdout + morning.stderr);
    assert.match(morning.stdout, /sync laptops +ok +15 sources: transferred 30 files; 5 away \(laptop-16, laptop-17, laptop-18, laptop-19, laptop-20\)/);
    assert.match(morning.stdout, /sync servers +ok +0 sources: transferred 0 files; 1 not due/);
    for (let n = 1; n <= PRESENT; n++) assert.equal(snapshotsOf(laptopName(n)).length, 1, `${laptopName(n)} saved`);
    assert.match(morning.stdout, /display +ok +BACKUP READY screen \(SLEEPING, 5 away\)/);
    const away = state().presence;
    assert.match(away['laptop-17'].awayReason, /127\.0\.0\.18 port \d+: connection refused/);
    assert.match(away['laptop-18'].awayReason, /no ssh banner within 3 s/);
    assert.match(away['laptop-19'].awayReason, /laptop-19\.invalid port \d+: (the name does not resolve|no ssh banner within 3 s)/);
    const status = await wake('2026-12-07 11:40:00', 'status');
    assert.match(status.stdout, /laptop-18 +away since 2026-12-07 11:30 \S+ \(.*no ssh banner within 3 s\); never saved/);
    assert.match(status.stdout, /laptop-01 +last saved \d+ min ago/);
    // The next wake, 14:00, has work: the five away.
    assert.match(status.stdout, /next wake: 2026-12-07 14:00/);

    servers_.push(await startSshd(join(root, 'sshd-16'), laptops, '-ro', { addresses: [address(16)], port, keysOf: join(root, 'sshd') }));
    const afternoon = await pass('2026-12-07 14:00:00');
    assert.equal(afternoon.status, 0, afternoon.stdout + afternoon.stderr);
    assert.match(afternoon.stdout, /sync laptops +ok +1 source: transferred 2 files; 4 away .*; 15 not due/);
    assert.equal(snapshotsOf(laptopName(16)).length, 1, 'laptop-16 saved when it came back');
    assert.equal(snapshotsOf('site-db').length, 1, 'the server is pulled once a day');
    assert.equal(state().presence['laptop-16'].awaySince, undefined);
  });

  test('enrolling a laptop: sources add shows its host key, writes known_hosts and the configuration, prints the authorized_keys line; the next wake pulls it', async () => {
    const newLaptop = join(laptops, 'laptop-21');
    writeFiles(newLaptop, { 'homework/poem.txt': 'a poem' });
    // The laptop's own ssh server, with the line sources add prints in its authorized_keys.
    const laptopSshd = await startSshd(join(root, 'sshd-21'), newLaptop, '-ro', { addresses: [address(21)], port, keysOf: join(root, 'sshd') });
    servers_.push(laptopSshd);
    const knownHosts = join(root, 'known_hosts');
    const before = readFileSync(config, 'utf8');
    const refused = await wake('2026-12-07 15:00:00', 'sources', 'add', 'laptop-21', '--from', `${mainSshd.user}@${address(21)}:${newLaptop}`, '--port', String(port));
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /the host key of \[127\.0\.0\.22\]:\d+ is new \(256 SHA256:\S+ .*\(ED25519\)\): confirm it on a terminal, or give --yes/);
    assert.equal(readFileSync(config, 'utf8'), before, 'nothing changed');
    const added = await wake('2026-12-07 15:00:00', 'sources', 'add', 'laptop-21', '--from', `${mainSshd.user}@${address(21)}:${newLaptop}`, '--port', String(port), '--overdue-days', '3', '--yes');
    assert.equal(added.status, 0, added.stderr);
    const line = added.stdout.split('\n').find((text) => text.startsWith('command='))!;
    assert.equal(line, `command="rrsync -ro ${newLaptop}",restrict ${readFileSync(`${mainSshd.identityFile}.pub`, 'utf8').trim()}`);
    assert.match(readFileSync(knownHosts, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.22\\]:${port} ssh-ed25519 `, 'm'));
    assert.equal(readFileSync(`${config}.previous`, 'utf8'), before, 'the previous configuration is kept beside it');
    const entry = JSON.parse(readFileSync(config, 'utf8')).sources.find((source: { name: string }) => source.name === 'laptop-21');
    assert.deepEqual(entry, { name: 'laptop-21', group: 'laptops', from: `${mainSshd.user}@${address(21)}:/`, ssh: { port, identityFile: mainSshd.identityFile, knownHostsFile: knownHosts }, overdueDays: 3 });
    assert.equal((await wake('2026-12-07 15:00:00', 'config', 'check')).status, 0);
    const listed = await wake('2026-12-07 15:00:00', 'sources');
    assert.match(listed.stdout, /laptop-01 +laptops +\S+ +2026-12-07 11:30 UTC +\d+ h ago +here/);
    assert.match(listed.stdout, /laptop-21 +laptops +\S+ +none/);
  });

  test('two days later the ones still away are overdue: 46, the FAILED screen names the first, the others are saved', async () => {
    const night = await pass('2026-12-09 03:00:00');
    assert.equal(night.status, 0, night.stdout + night.stderr);
    const late = await pass('2026-12-09 14:00:00');
    assert.equal(late.status, 46, late.stdout + late.stderr);
    assert.match(late.stderr, /laptop-17 is overdue: never saved, first tried 2 days ago, more than its overdueDays of 2; away since 2026-12-07 11:30 UTC: 127\.0\.0\.18 port \d+: connection refused/);
    assert.match(late.stdout, /display +ok +FAILED \(46\) screen \(laptop-17\)/);
    for (let n = 1; n <= 16; n++) assert.equal(snapshotsOf(laptopName(n)).length, 2, `${laptopName(n)} saved again`);
    assert.equal(readFileSync(join(home, 'store', 'laptop-21', 'latest', 'homework', 'poem.txt'), 'utf8'), 'a poem', 'the enrolled laptop, through its authorized_keys line');
    const status = await wake('2026-12-09 14:10:00', 'status');
    assert.match(status.stdout, /laptop-20 +away since 2026-12-07 11:30 .*never saved — overdue \(more than 2 days\)/);
  });
});

describe('several pulls at once, cut by kill -9', { skip: !isRoot() && 'needs root: sshd' }, () => {
  test('four laptops pulled at once; kill -9 while all four copy; the next pass resumes each and promotes four complete snapshots', async () => {
    const dir = join(root, 'parallel');
    const sources = join(dir, 'laptops');
    const content = (n: number) => Buffer.alloc(24 * 1024 * 1024, n);
    for (let n = 1; n <= 4; n++) writeFiles(join(sources, `pc-${n}`), { 'video.mkv': content(n), 'notes.txt': `pc ${n}` });
    const sshd = await startSshd(join(dir, 'sshd'), sources, '-ro', { addresses: [1, 2, 3, 4].map((n) => `127.0.1.${n}`) });
    try {
      const ssh = { port: sshd.port, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile, connectTimeout: 5 };
      const node = join(dir, 'node');
      const parallelConfig = writeConfig(
        node,
        [1, 2, 3, 4].map((n) => ({ name: `pc-${n}`, group: 'laptops', from: `${sshd.user}@127.0.1.${n}:/pc-${n}`, ssh, overdueDays: 3, bwlimit: '4m' })),
        { sync: { parallel: 4 } },
      );
      const partials = () => [1, 2, 3, 4].filter((n) => existsSync(join(node, 'store', `pc-${n}`, '.partial', '.rsync-partial')) || existsSync(join(node, 'store', `pc-${n}`, '.partial', 'notes.txt')));
      const first = odbackupSpawn(['--config', parallelConfig, 'cycle']);
      await waitFor(() => partials().length === 4, 'all four pulls to be copying at once', 60_000);
      process.kill(-first.pid!, 'SIGKILL');
      await new Promise((done) => first.on('exit', done));
      for (let n = 1; n <= 4; n++) assert.equal(existsSync(join(node, 'store', `pc-${n}`, 'latest')), false, `pc-${n}: nothing promoted by the cut pass`);
      const next = await odbackupAsync(['--config', parallelConfig, 'cycle']);
      assert.equal(next.status, 0, next.stdout + next.stderr);
      assert.match(next.stdout, /sync laptops +ok +4 sources: transferred/);
      for (let n = 1; n <= 4; n++) {
        const latest = join(node, 'store', `pc-${n}`, 'latest');
        assert.ok(readFileSync(join(latest, 'video.mkv')).equals(content(n)), `pc-${n}: the whole file`);
        assert.equal(readdirSync(join(node, 'store', `pc-${n}`)).filter((entry) => /^\d{4}-.*Z$/.test(entry)).length, 1, `pc-${n}: one snapshot`);
      }
    } finally {
      await sshd.stop();
    }
  });
});

describe('one of several pulls fails its copy check', { skip: !isRoot() && 'needs root: sshd' }, () => {
  test('its new snapshot is not promoted (50, naming it); the other three are', async () => {
    const dir = join(root, 'copy-check');
    const sources = join(dir, 'laptops');
    for (let n = 1; n <= 4; n++) writeFiles(join(sources, `pc-${n}`), { 'notes.txt': `notes of ${n}` });
    const sshd = await startSshd(join(dir, 'sshd'), sources, '-ro', { addresses: [1, 2, 3, 4].map((n) => `127.0.4.${n}`) });
    try {
      const ssh = { port: sshd.port, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile, connectTimeout: 5 };
      const node = join(dir, 'node');
      const config = writeConfig(node, [1, 2, 3, 4].map((n) => ({ name: `pc-${n}`, group: 'laptops', from: `${sshd.user}@127.0.4.${n}:/pc-${n}`, ssh })), { sync: { parallel: 4 } });
      const pulled = await odbackupAsync(['--config', config, 'sync']);
      assert.equal(pulled.status, 0, pulled.stderr);
      // Changed at the source after the pull, before the copy check: what arrived is no longer what the source holds.
      writeFiles(join(sources, 'pc-3'), { 'notes.txt': `NOTES OF 3` });
      const pass = await odbackupAsync(['--config', config, 'cycle', '--skip', 'sync']);
      assert.equal(pass.status, 50, pass.stdout + pass.stderr);
      assert.match(pass.stderr, /pc-3: notes\.txt differs from the source \(rsync --checksum\)/);
      assert.match(pass.stdout, /promote +ok +latest: pc-1 → \S+, pc-2 → \S+, pc-4 → \S+$/m);
      for (const n of [1, 2, 4]) assert.ok(existsSync(join(node, 'store', `pc-${n}`, 'latest')), `pc-${n} promoted`);
      assert.equal(existsSync(join(node, 'store', 'pc-3', 'latest')), false, 'pc-3 not promoted');
    } finally {
      await sshd.stop();
    }
  });
});
