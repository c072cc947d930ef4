// `npm run bench`: wall time of `odbackup sync` against bare rsync and rsnapshot on the same generated tree.
// Not a test: these machines are shared and noisy; the figures are ratios measured in one run.
// BENCH_FILES (default 100000) and BENCH_MIB (default 2048) size the tree.
// BENCH_SCHOOL=1 runs the school rows instead (20 laptops over ssh behind --bwlimit, 5 away; about 3 minutes).
// BENCH_CATALOG=1 (or sizes, BENCH_CATALOG=100000,1000000) runs the catalog rows: 30 snapshots, the page in chromium
// at 10 Mbit/s, --catalog reads, publishing. BENCH_PARALLEL=1 (or a size) a pass's memory with four pulls at once.
// BENCH_KEEP=1 leaves a row's tree and store behind.
// BENCH_SCALE=1 (or a list of sizes, BENCH_SCALE=1000000,3000000) runs the scale rows instead, per size: a tree of
// that many small files (about 100 bytes each), then the catalog rows at that size. It takes long: about an hour
// at 1,000,000 files and three at 3,000,000 on a 2-core machine, and 4 GiB of disk per million files for each tree
// (source, store, rsync's and rsnapshot's copies).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = Number(process.env.BENCH_FILES ?? 100_000);
const totalMiB = Number(process.env.BENCH_MIB ?? 2048);
const work = join(process.env.BENCH_DIR ?? tmpdir(), 'odbackup-bench');
// odbackup as an operator starts it: through its #! line.
const cli = join(root, 'bin', 'odbackup.js');

function have(program) {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}

// The tools it competes with (Debian packages): rsnapshot, xxh64sum (xxhash), b3sum, and GNU time for peak RSS.
const wanted = { rsnapshot: 'rsnapshot', xxh64sum: 'xxhash', b3sum: 'b3sum', '/usr/bin/time': 'time' };
const missing = Object.entries(wanted)
  .filter(([program]) => !have(program))
  .map(([, pkg]) => pkg);
if (missing.length && process.getuid?.() === 0) {
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/** Mixed sizes: most files small, a few large (a dump, an image), summing to about totalMiB. */
function generate(source) {
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
  const large = Math.max(1, Math.floor(files / 1000));
  const largeBytes = Math.floor((totalMiB * 1024 * 1024 * 0.8) / large);
  const smallBytes = Math.max(1, Math.floor((totalMiB * 1024 * 1024 * 0.2) / (files - large)));
  for (let i = 0; i < files; i++) {
    const directory = join(source, `d${String(i % 100).padStart(2, '0')}`, `e${String(Math.floor(i / 100) % 100).padStart(2, '0')}`);
    if (i < 10_000) mkdirSync(directory, { recursive: true });
    const size = i < large ? largeBytes : smallBytes;
    const data = Buffer.allocUnsafe(size);
    for (let offset = 0; offset < size; offset += block.length) block.copy(data, offset, 0, Math.min(block.length, size - offset));
    data.writeUInt32LE(i, 0);
    writeFileSync(join(directory, `f${i}.bin`), data);
  }
}

/** A node for the bench: a store and a state directory under dir, one source; no RTC to wake it and no Badger: stay awake, draw nothing. */
function benchNode(dir, name, group, from) {
  const config = join(dir, 'odbackup.json');
  mkdirSync(join(dir, 'store'), { recursive: true });
  const node = { node: 'bench', stateDir: join(dir, 'state'), storage: { path: join(dir, 'store') }, sources: [{ name, group, from }] };
  writeFileSync(config, JSON.stringify({ ...node, suspend: { mode: 'none' }, display: { port: 'none' }, schedule: { networkSettleSeconds: 0 } }));
  return config;
}

/**
 * The scrub at its steady state (SPEC §4.2): a new store reads its never-read slices two a night until each was read
 * once; a night's verify is measured after that, reading one slice.
 */
function scrubUntilCovered(args, options = {}) {
  for (let night = 0; night < 30 && execFileSync(cli, args, { encoding: 'utf8', ...options }).includes('not read the whole store'); night++);
}

/**
 * Before a timed run: the dirty pages of earlier runs written back (so that no run pays another's write-back), and
 * a second gone by (snapshot names are to the second).
 */
async function quiet() {
  execFileSync('sync');
  await new Promise((done) => setTimeout(done, 1100));
}

/** Wall time of one run; with GNU time installed, its peak RSS too (`peakRSS`, MiB, of the last timed run). */
let peakRSS;
function time(label, program, args, options = {}) {
  const measured = have('/usr/bin/time');
  const start = process.hrtime.bigint();
  const result = measured
    ? spawnSync('/usr/bin/time', ['-f', '%M', program, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', ...options })
    : spawnSync(program, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', ...options });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${label} failed (${result.status}): ${result.stderr}`);
  peakRSS = measured ? Number(result.stderr.trim().split('\n').at(-1)) / 1024 : undefined;
  console.log(`  ${label.padEnd(34)} ${seconds.toFixed(2)} s${peakRSS ? `, ${peakRSS.toFixed(0)} MiB` : ''}`);
  return seconds;
}

/** The environment the timer starts the pass with: odbackup.service's Environment= lines (NODE_OPTIONS), but the sandbox's. */
function unitEnvironment() {
  const lines = readFileSync(join(root, 'packaging/systemd/odbackup.service'), 'utf8').matchAll(/^Environment=([A-Z_]+)=(.*)$/gm);
  return Object.fromEntries([...lines].filter(([, name]) => name !== 'ODBACKUP_SANDBOXED').map(([, name, value]) => [name, value]));
}

/** A tree of `count` small files (about 100 bytes each), 1000 to a directory: the photo archive's shape at scale. */
function generateSmall(root, count) {
  for (let i = 0; i < count; i++) {
    const directory = join(root, String(Math.floor(i / 100_000)), String(Math.floor(i / 1000) % 100));
    if (i % 1000 === 0) mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, `f${i}`), `file ${i}\n`.repeat(10));
  }
}

/**
 * The scale rows at one size, each run once (at this size a run takes minutes; read the ratios): a first pass, a
 * no-change pass and the verify a night costs, against the native tools, with odbackup's peak RSS. odbackup runs
 * as the timer starts it (the unit's NODE_OPTIONS).
 */
async function scaleRows(count) {
  const dir = join(work, `scale-${count}`);
  execFileSync('rm', ['-rf', dir]);
  const from = join(dir, 'source');
  console.log(`\n${count} files: generating ${from}`);
  generateSmall(from, count);
  const scaleConfig = benchNode(dir, 'tree', 'images', from);
  const od = (...args) => ['--quiet', '--config', scaleConfig, ...args];
  const asPass = { env: { ...process.env, ...unitEnvironment() } };
  const snapConfig = rsnapshotConf(dir, from);
  const bare = join(dir, 'bare', 'tree');
  mkdirSync(bare, { recursive: true });
  const rows = [];
  const row = (what, ours, theirs, target, rss) => rows.push({ what, ratio: theirs === undefined ? 'n/a' : `${(ours / theirs).toFixed(2)}x`, target, rss });

  // First pass: pull, manifest and copy check (cycle) against rsync -a and two xxh64sum reads of the new snapshot.
  await quiet();
  const odFirst = time('odbackup cycle (first pass)', cli, od('cycle', '--no-suspend'), asPass);
  const firstRSS = peakRSS;
  await quiet();
  const rsFirst = time('rsync -a', 'rsync', ['-a', '--delete', `${from}/`, join(bare, 'rsync-1') + '/']);
  const filesOf = (tree) => {
    const list = join(dir, 'files.nul');
    writeFileSync(list, execFileSync('find', [tree, '-type', 'f', '-print0'], { maxBuffer: 1 << 30 }));
    return list;
  };
  const xxhRead = (label, list) => time(label, 'sh', ['-c', 'xargs -0 -n 2000 xxh64sum < "$1" > /dev/null', 'sh', list]);
  const snapshotList = filesOf(join(bare, 'rsync-1'));
  const xxhTwice = xxhRead('xxh64sum of the new snapshot', snapshotList) + xxhRead('xxh64sum of the new snapshot', snapshotList);
  // The copy check compares a local source's files by their own hash (SPEC §4.1): a third read, of the source.
  const xxhSource = xxhRead('xxh64sum of the source', filesOf(from));
  await quiet();
  const snapFirst = have('rsnapshot') ? time('rsnapshot daily (first)', 'rsnapshot', ['-c', snapConfig, 'daily']) : undefined;
  row('first pass / (rsync -a + 2 xxh64sum)', odFirst, rsFirst + xxhTwice, '<= 1.2x', firstRSS);
  row('first pass / (rsync -a + 3 xxh64sum)', odFirst, rsFirst + xxhTwice + xxhSource, '', undefined);
  row('first pass / rsnapshot daily', odFirst, snapFirst, '', undefined);

  // No change: sync against rsync --link-dest (as deep), then a whole cycle against rsnapshot daily, each removing one
  // old snapshot (odbackup's retention keeps the day's newest; rsnapshot keeps two).
  if (have('rsnapshot')) execFileSync('rsnapshot', ['-c', snapConfig, 'daily']);
  await quiet();
  const odSync = time('odbackup sync (no change)', cli, od('sync'), asPass);
  await quiet();
  const rsSync = time('rsync -a --link-dest', 'rsync', ['-a', '--delete', `--link-dest=${join(bare, 'rsync-1')}`, `${from}/`, join(bare, 'rsync-2') + '/']);
  row('no-change sync / rsync --link-dest', odSync, rsSync, '<= 1.15x', undefined);
  // That snapshot verified and promoted, the first pruned (untimed): the timed cycle then removes one, as rsnapshot.
  execFileSync(cli, od('cycle', '--no-suspend', '--skip', 'sync'), asPass);
  await quiet();
  const odCycle = time('odbackup cycle (no change)', cli, od('cycle', '--no-suspend'), asPass);
  const cycleRSS = peakRSS;
  await quiet();
  const snapCycle = have('rsnapshot') ? time('rsnapshot daily (no change)', 'rsnapshot', ['-c', snapConfig, 'daily']) : undefined;
  row('no-change cycle / rsnapshot daily', odCycle, snapCycle, '<= 1.0x', cycleRSS);

  // A night's verify (1% changed and pulled, then the copy check and the 1/30 scrub) against a full verify.
  scrubUntilCovered(od('verify'), asPass);
  for (let i = 0; i < count; i += 100) {
    const file = join(from, String(Math.floor(i / 100_000)), String(Math.floor(i / 1000) % 100), `f${i}`);
    writeFileSync(file, `changed ${i}\n`, { flag: 'a' });
  }
  await quiet();
  execFileSync(cli, od('sync'), asPass);
  const daily = time('odbackup verify (1% changed + scrub)', cli, od('verify'), asPass);
  const full = time('odbackup verify --full', cli, od('verify', '--full'), asPass);
  row('daily verify / verify --full', daily, full, '<= 0.15', peakRSS);
  console.log(`scale rows, ${count} files (one run each):`);
  for (const { what, ratio, target, rss } of rows) console.log(`  ${what.padEnd(40)} ${ratio.padEnd(7)} ${target.padEnd(9)} ${rss === undefined ? '' : `peak RSS ${rss.toFixed(0)} MiB`}`);
  execFileSync('rm', ['-rf', dir]);
}

/**
 * A pass's memory with four pulls running (BENCH_PARALLEL=1000000): the files split over four sources on four ssh
 * hosts (sshd on loopback addresses, `rrsync -ro`), sync.parallel 4, as the timer runs it (the unit's
 * NODE_OPTIONS): a first pass, then a pass with 1% changed; the peak RSS of each against one source of the same
 * size pulled alone.
 */
async function parallelRows(count) {
  const { startSshd, freePort } = await import(join(root, 'dist', 'test', 'harness', 'sshd.js'));
  const dir = join(work, `parallel-${count}`);
  execFileSync('rm', ['-rf', dir]);
  const trees = join(dir, 'trees');
  console.log(`\n${count} files over four hosts: generating ${trees}`);
  for (let part = 0; part < 4; part++) generateSmall(join(trees, `part-${part}`), count / 4);
  const address = (part) => `127.0.3.${part + 1}`;
  const port = await freePort();
  const sshd = await startSshd(join(dir, 'sshd'), trees, '-ro', { addresses: [0, 1, 2, 3].map(address), port });
  const hostKey = readFileSync(sshd.knownHostsFile, 'utf8').split('\n')[0].split(' ').slice(1).join(' ');
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, [0, 1, 2, 3].map((part) => `[${address(part)}]:${port} ${hostKey}\n`).join(''));
  const ssh = { port, identityFile: sshd.identityFile, knownHostsFile: knownHosts };
  const node = (name, parts) => {
    const home = join(dir, name);
    mkdirSync(join(home, 'store'), { recursive: true });
    const config = join(home, 'odbackup.json');
    const sources = parts.map((part) => ({ name: `part-${part}`, group: 'images', from: `${sshd.user}@${address(part)}:/part-${part}`, ssh }));
    writeFileSync(config, JSON.stringify({ node: 'bench', stateDir: join(home, 'state'), storage: { path: join(home, 'store') }, sources, sync: { parallel: 4 }, suspend: { mode: 'none' }, display: { port: 'none' }, schedule: { networkSettleSeconds: 0 } }));
    return ['--quiet', '--config', config, 'cycle', '--no-suspend'];
  };
  const asPass = { env: { ...process.env, ...unitEnvironment() } };
  try {
    const rows = [];
    for (const [label, parts] of [['four pulls at once', [0, 1, 2, 3]], ['one pull, a quarter', [0]]]) {
      await quiet();
      const first = time(`odbackup cycle, ${label} (first)`, cli, node(label.replace(/\W+/g, '-'), parts), asPass);
      const firstRSS = peakRSS;
      for (let i = 7; i < count / 4; i += 100) for (const part of parts) writeFileSync(join(trees, `part-${part}`, smallPath(i)), `changed ${i}\n`, { flag: 'a' });
      await quiet();
      const next = time(`odbackup cycle, ${label} (1% changed)`, cli, node(label.replace(/\W+/g, '-'), parts), asPass);
      rows.push({ label, first, firstRSS, next, nextRSS: peakRSS });
    }
    console.log(`parallel rows, ${count} files (one run each):`);
    for (const { label, first, firstRSS, next, nextRSS } of rows)
      console.log(`  ${label.padEnd(22)} first pass ${first.toFixed(1)} s, peak RSS ${firstRSS?.toFixed(0)} MiB; 1% changed ${next.toFixed(1)} s, peak RSS ${nextRSS?.toFixed(0)} MiB`);
  } finally {
    await sshd.stop();
    if (!process.env.BENCH_KEEP) execFileSync('rm', ['-rf', dir]);
  }
}

/**
 * A school's laptops (BENCH_SCHOOL=1): 20 sources over ssh, each behind --bwlimit (a school's Wi-Fi), 5 of them away
 * (three closed ports, one listener that never answers, a name that does not resolve). A pass (cycle) against
 * rsnapshot on the same 20, and the 15 present with sync.parallel 4 against 1. First passes, fresh stores each.
 */
async function schoolRows() {
  const { startSshd, freePort } = await import(join(root, 'dist', 'test', 'harness', 'sshd.js'));
  const { createServer } = await import('node:net');
  const dir = join(work, 'school');
  execFileSync('rm', ['-rf', dir]);
  const laptops = join(dir, 'laptops');
  const address = (n) => `127.0.2.${n}`;
  for (let n = 1; n <= 20; n++) {
    const data = Buffer.alloc(3 * 1024 * 1024, n);
    mkdirSync(join(laptops, `pc-${n}`, 'homework'), { recursive: true });
    writeFileSync(join(laptops, `pc-${n}`, 'homework', 'video.mkv'), data);
    writeFileSync(join(laptops, `pc-${n}`, 'homework', 'essay.txt'), `essay ${n}\n`);
  }
  const port = await freePort();
  const sshd = await startSshd(join(dir, 'sshd'), laptops, '-ro', { addresses: Array.from({ length: 15 }, (_, index) => address(index + 1)), port });
  const silent = createServer(() => undefined);
  await new Promise((done) => silent.listen(port, address(19), done));
  const hostKey = readFileSync(sshd.knownHostsFile, 'utf8').split('\n')[0].split(' ').slice(1).join(' ');
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, Array.from({ length: 20 }, (_, index) => `[${address(index + 1)}]:${port} ${hostKey}\n`).join(''));
  const host = (n) => (n === 20 ? 'pc-20.invalid' : address(n));
  const ssh = { port, identityFile: sshd.identityFile, knownHostsFile: knownHosts };
  const laptop = (n) => ({ name: `pc-${n}`, group: 'laptops', from: `${sshd.user}@${host(n)}:/pc-${n}`, ssh, overdueDays: 3, bwlimit: '1m' });
  const node = (name, numbers, parallel) => {
    const home = join(dir, name);
    mkdirSync(join(home, 'store'), { recursive: true });
    const config = join(home, 'odbackup.json');
    writeFileSync(config, JSON.stringify({ node: 'bench', stateDir: join(home, 'state'), storage: { path: join(home, 'store') }, sources: numbers.map(laptop), sync: { parallel }, suspend: { mode: 'none' }, display: { port: 'none' }, schedule: { networkSettleSeconds: 0 } }));
    return ['--quiet', '--config', config, 'cycle', '--no-suspend'];
  };
  const all = Array.from({ length: 20 }, (_, index) => index + 1);
  const present = all.slice(0, 15);
  // A pass that notes the away ones exits 0; one whose absent laptops were never saved and are overdue would not.
  try {
    await quiet();
    const ours = time('odbackup cycle, 20 laptops, 5 away', cli, node('twenty', all, 4));
    const snapConfig = join(dir, 'rsnapshot.conf');
    const sshArgs = `-p ${port} -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=20 -o UserKnownHostsFile=${knownHosts} -o IdentitiesOnly=yes -i ${sshd.identityFile}`;
    writeFileSync(
      snapConfig,
      [
        'config_version\t1.2',
        `snapshot_root\t${join(dir, 'rsnapshot')}/`,
        'cmd_rsync\t/usr/bin/rsync',
        'cmd_ssh\t/usr/bin/ssh',
        'cmd_cp\t/bin/cp',
        'cmd_rm\t/bin/rm',
        'retain\tdaily\t2',
        'link_dest\t1',
        `ssh_args\t${sshArgs}`,
        'rsync_long_args\t--delete --numeric-ids --relative --delete-excluded --bwlimit=1m',
        `lockfile\t${join(dir, 'rsnapshot.pid')}`,
        ...all.map((n) => `backup\t${sshd.user}@${host(n)}:/pc-${n}/\tpc-${n}/`),
        '',
      ].join('\n'),
    );
    await quiet();
    // rsnapshot exits 2 when some backups failed (the away laptops): the time is what counts.
    const theirs = time('rsnapshot daily, the same 20', 'sh', ['-c', 'rsnapshot -c "$1" daily; [ $? -le 2 ]', 'sh', snapConfig]);
    await quiet();
    const four = time('odbackup cycle, 15 present, parallel 4', cli, node('four', present, 4));
    await quiet();
    const one = time('odbackup cycle, 15 present, parallel 1', cli, node('one', present, 1));
    console.log(`school rows (one run each):
  20 laptops, 5 away: odbackup / rsnapshot       ${(ours / theirs).toFixed(2)}x   (target <= 0.3x)
  15 present: parallel 1 / parallel 4            ${(one / four).toFixed(2)}x   (target >= 2.5x quicker)`);
  } finally {
    silent.close();
    await sshd.stop();
    execFileSync('rm', ['-rf', dir]);
  }
}

/** Where generateSmall puts file i, relative to the tree. */
const smallPath = (i) => `${Math.floor(i / 100_000)}/${Math.floor(i / 1000) % 100}/f${i}`;

/**
 * Another night in the store, made without a pull: a hard-linked copy of the newest snapshot named `name`, with 1%
 * of its files given new bytes (their links broken) and a manifest that is the newest one with those files' lines
 * from xxh64sum: a store whose every manifest is true, thirty nights made in minutes rather than hours.
 */
function copiedNight(storeDir, name, count, night) {
  const newest = readdirSync(storeDir).filter((entry) => /^\d{4}-.*Z$/.test(entry)).sort().at(-1);
  const snapshot = join(storeDir, name);
  execFileSync('cp', ['-al', join(storeDir, newest), snapshot]);
  const changed = [];
  for (let i = night % 100; i < count; i += 100) {
    const relative = smallPath(i);
    rmSync(join(snapshot, relative));
    writeFileSync(join(snapshot, relative), `night ${night} file ${i}\n`);
    changed.push(relative);
  }
  const sums = new Map();
  const summed = spawnSync('xargs', ['-0', '-n', '5000', 'xxh64sum'], { cwd: snapshot, input: changed.join('\0'), maxBuffer: 1 << 30, encoding: 'utf8' });
  for (const line of summed.stdout.split('\n').filter(Boolean)) sums.set(line.slice(18), `${line}\n`);
  const lines = readFileSync(join(storeDir, `${newest}.xxh64`), 'utf8').split(/(?<=\n)/);
  writeFileSync(join(storeDir, `${name}.xxh64`), lines.map((line) => sums.get(line.slice(18, -1)) ?? line).join(''));
}

/**
 * The catalog at a size (BENCH_CATALOG=100000,1000000): thirty snapshots (one pulled, 29 copied nights before it,
 * each with 1% of the files changed), the first publish, a night pulled and published, the published size against
 * the gzipped manifests, `--catalog` reads with their peak RSS, and the page in chromium at 10 Mbit/s: the first
 * search from the moment the page is open, what it fetched before answering, and its JavaScript heap while it
 * searches, shows versions and lists folders.
 */
async function catalogRows(count) {
  const dir = join(work, `catalog-${count}`);
  execFileSync('rm', ['-rf', dir]);
  const from = join(dir, 'source');
  console.log(`\nthe catalog at ${count} files: generating ${from}`);
  generateSmall(from, count);
  const baseConfig = benchNode(dir, 'tree', 'images', from);
  const published = join(dir, 'published');
  mkdirSync(published, { recursive: true });
  const catalogConfig = join(dir, 'odbackup-catalog.json');
  writeFileSync(catalogConfig, JSON.stringify({ ...JSON.parse(readFileSync(baseConfig, 'utf8')), catalog: { to: published } }));
  const od = (config, ...args) => ['--quiet', '--config', config, ...args];
  execFileSync(cli, od(baseConfig, 'cycle', '--no-suspend'));
  const storeDir = join(dir, 'store', 'tree');
  for (let night = 1; night <= 29; night++) copiedNight(storeDir, `2020-01-${String(night).padStart(2, '0')}T030000Z`, count, night);
  console.log(`the catalog (30 snapshots of ${count} files):`);
  await quiet();
  const first = time('odbackup catalog (first publish)', cli, od(catalogConfig, 'catalog'));
  const firstRSS = peakRSS;
  // A night as the pass makes it: 1% of the files changed at the source, pulled, verified and promoted, then published.
  for (let i = 50; i < count; i += 100) writeFileSync(join(from, smallPath(i)), `changed ${i}\n`, { flag: 'a' });
  execFileSync(cli, od(baseConfig, 'cycle', '--no-suspend', '--skip', 'prune'));
  await quiet();
  const night = time('odbackup catalog (one new night)', cli, od(catalogConfig, 'catalog'));
  const nightRSS = peakRSS;
  const sizeOf = (path) => Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
  const manifests = readdirSync(storeDir).filter((name) => name.endsWith('.xxh64'));
  const gzipped = manifests.reduce((sum, name) => sum + gzipSync(readFileSync(join(storeDir, name))).length, 0);
  const data = sizeOf(join(published, 'bench', 'data'));
  const staging = sizeOf(join(dir, 'state', 'catalog'));
  const newest = readlinkSync(join(storeDir, 'latest'));
  const added = readFileSync(join(storeDir, `${newest}.xxh64`)).length;
  const copy = join(published, 'bench');
  const wanted = smallPath(Math.floor(count / 2) + 50);
  const reads = [
    ['versions', 'tree', wanted],
    ['find', `f${Math.floor(count / 2) + 5}`],
    ['find', '*.bin'],
    ['snapshots'],
    ['diff', 'tree'],
  ].map((args) => ({ args, seconds: time(`odbackup ${args.join(' ')} --catalog`, cli, [...args, '--catalog', copy]), rss: peakRSS }));
  const page = await pageRows(published, `f${Math.floor(count / 2) + 5}`);
  console.log(`catalog rows, ${count} files x 30 snapshots (one run each):`);
  console.log(`  published / gzipped manifests           ${(data / gzipped).toFixed(2)}x   (${(data / 1048576).toFixed(1)} MiB against ${(gzipped / 1048576).toFixed(1)} MiB; target <= 1.5x)`);
  console.log(`  publish: first / one new night          ${first.toFixed(2)} s (${firstRSS?.toFixed(0)} MiB) / ${night.toFixed(2)} s (${nightRSS?.toFixed(0)} MiB)`);
  console.log(`  staging copy in stateDir                ${(staging / 1048576).toFixed(1)} MiB (the night's manifest: ${(added / 1048576).toFixed(1)} MiB)`);
  for (const { args, seconds, rss } of reads) console.log(`  ${`${args.join(' ')} --catalog`.padEnd(40)} ${seconds.toFixed(2)} s, peak RSS ${rss?.toFixed(0)} MiB   (target < 2 s, <= 64 MiB)`);
  if (page)
    console.log(`  page at 10 Mbit/s: open ${page.open} ms; first search ${page.first} ms, ${(page.fetched / 1048576).toFixed(2)} MiB fetched; next ${page.next} ms; heap at most ${page.heap.toFixed(0)} MB   (targets < 1 s, <= 10 MiB, <= 100 MB)`);
  else console.log('  page: no chromium or playwright-core');
  // BENCH_KEEP=1 leaves the store and the catalog for a closer look (a profile of one step).
  if (!process.env.BENCH_KEEP) execFileSync('rm', ['-rf', dir]);
}

/**
 * The page in chromium over a published catalog, the network throttled to 10 Mbit/s, cold: the page opened, a
 * search typed (from the key to the answer, less the page's 200 ms pause), its versions opened, the newest snapshot
 * listed and two folders opened; the bytes fetched up to the first answer and the largest JavaScript heap seen.
 */
async function pageRows(published, query) {
  if (!existsSync('/usr/bin/chromium')) return undefined;
  const { chromium } = await import('playwright-core').catch(() => ({}));
  if (!chromium) return undefined;
  const server = await serve(published);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: 1_250_000, uploadThroughput: 1_250_000 });
    let fetched = 0;
    cdp.on('Network.loadingFinished', (event) => (fetched += event.encodedDataLength));
    let heap = 0;
    const sample = async () => (heap = Math.max(heap, (await cdp.send('Runtime.getHeapUsage')).usedSize / 1e6));
    const sampling = setInterval(() => sample().catch(() => undefined), 50);
    const opened = Date.now();
    await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
    await page.waitForSelector('body[data-ready="true"]');
    const open = Date.now() - opened;
    const searchFor = async (text) => {
      await page.fill('#search', '');
      const started = Date.now();
      await page.fill('#search', text);
      await page.waitForFunction((words) => document.getElementById('search-status').textContent.includes(words), `found for ${text}.`, { timeout: 600_000 });
      return Date.now() - started - 200;
    };
    const first = await searchFor(query);
    const fetchedFirst = fetched;
    const next = await searchFor(`${query.slice(0, -1)}${(Number(query.at(-1)) + 1) % 10}`);
    await page.click('#results li:first-child button');
    await page.waitForSelector('#timeline li');
    await page.click('#browse-open');
    await page.waitForSelector('#tree li');
    await page.click('#tree summary >> nth=0');
    await page.waitForSelector('#tree details[open] li');
    await page.click('#tree details[open] summary >> nth=1');
    await page.waitForSelector('#tree li.file');
    await sample();
    clearInterval(sampling);
    return { open, first, next, fetched: fetchedFirst, heap };
  } finally {
    await browser.close();
    server.close();
  }
}

/** A plain web server over a folder, as nginx serves the catalog (.gz as data, no Content-Encoding). */
async function serve(folder) {
  const { createServer } = await import('node:http');
  const server = createServer((request, response) => {
    const file = join(folder, decodeURIComponent(new URL(request.url, 'http://x').pathname).replace(/\.\.+/g, ''));
    if (!existsSync(file) || !statSync(file).isFile()) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': file.endsWith('.html') ? 'text/html' : file.endsWith('.js') ? 'text/javascript' : file.endsWith('.json') ? 'application/json' : 'application/gzip' });
    response.end(readFileSync(file));
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return server;
}

if (process.env.BENCH_PARALLEL) {
  await parallelRows(Number(process.env.BENCH_PARALLEL === '1' ? 1_000_000 : process.env.BENCH_PARALLEL));
  process.exit(0);
}

if (process.env.BENCH_CATALOG) {
  const sizes = process.env.BENCH_CATALOG === '1' ? [100_000, 1_000_000] : process.env.BENCH_CATALOG.split(',').map(Number);
  for (const count of sizes) await catalogRows(count);
  process.exit(0);
}

if (process.env.BENCH_SCHOOL) {
  await schoolRows();
  process.exit(0);
}

if (process.env.BENCH_SCALE) {
  const sizes = process.env.BENCH_SCALE === '1' ? [1_000_000, 3_000_000] : process.env.BENCH_SCALE.split(',').map(Number);
  for (const count of sizes) {
    await scaleRows(count);
    await catalogRows(count);
  }
  process.exit(0);
}

// rm -rf: a few million hard links go in a fraction of the time Node's recursive rmSync takes.
execFileSync('rm', ['-rf', work]);
const source = join(work, 'source');
console.log(`generating ${files} files, ${totalMiB} MiB in ${source}`);
generate(source);
execFileSync('sync');

const config = benchNode(work, 'tree', 'images', source);
const odbackup = ['--quiet', '--config', config, 'sync'];

/** An rsnapshot configuration for one source tree, its snapshots under dir. */
function rsnapshotConf(dir, from) {
  const path = join(dir, 'rsnapshot.conf');
  const lines = ['config_version\t1.2', `snapshot_root\t${join(dir, 'rsnapshot')}/`, 'cmd_rsync\t/usr/bin/rsync', 'cmd_cp\t/bin/cp', 'cmd_rm\t/bin/rm'];
  // Two kept: from its third run on, every run removes one (rm -rf), as every pass of odbackup's does here, where
  // all the passes fall on one day and retention keeps that day's newest: both compared at their steady state.
  lines.push('retain\tdaily\t2', 'link_dest\t1', `lockfile\t${join(dir, 'rsnapshot.pid')}`, `backup\t${from}/\ttree/`, '');
  writeFileSync(path, lines.join('\n'));
  return path;
}
const rsnapshotConfig = rsnapshotConf(work, source);

// Bare rsync's snapshots lie as deep as odbackup's (<store>/<source>/<snapshot>): rsync 3.5 (Debian 12 and 13)
// opens every component of the --link-dest path, from /, for each file it links, so each component costs a no-change
// pass about a tenth here; a shallower copy measured the layout, not odbackup.
const bareSnapshots = join(work, 'bare', 'tree');
mkdirSync(bareSnapshots, { recursive: true });
const bareSnapshot = (run) => join(bareSnapshots, `rsync-${run}`);

console.log('first pass (everything is new):');
const odFirst = time('odbackup sync', cli, odbackup);
const rsFirst = time('rsync -a', 'rsync', ['-a', '--delete', `${source}/`, bareSnapshot(1) + '/']);
// What odbackup pays to make a snapshot durable before naming it (README, "What reaches the disk when").
const flushFirst = time('sync -f after it (durability)', 'sync', ['-f', bareSnapshot(1)]);
const snapFirst = have('rsnapshot') ? time('rsnapshot daily', 'rsnapshot', ['-c', rsnapshotConfig, 'daily']) : undefined;
// A no-change pass of each, three times in turn (this disk's link-dest runs vary by half from one to the next):
// the medians are compared. Before each odbackup sync, a promote (untimed): latest moves only after verify, and
// the next pull links against it.
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log('no-change pass (everything is hard-linked), three runs each, in turn:');
const noChange = { od: [], rsync: [], flush: [], snap: [] };
for (let run = 0; run < 3; run++) {
  execFileSync(cli, ['--quiet', '--config', config, 'cycle', '--skip', 'sync', 'prune']);
  await quiet();
  noChange.od.push(time('odbackup sync', cli, odbackup));
  await quiet();
  const target = bareSnapshot(run + 2);
  noChange.rsync.push(time('rsync -a --link-dest', 'rsync', ['-a', '--delete', `--link-dest=${bareSnapshot(1)}`, `${source}/`, target + '/']));
  noChange.flush.push(time('sync -f after it (durability)', 'sync', ['-f', target]));
  if (have('rsnapshot')) noChange.snap.push(time('rsnapshot daily', 'rsnapshot', ['-c', rsnapshotConfig, 'daily']));
}
const [odSecond, rsSecond, flushSecond] = [noChange.od, noChange.rsync, noChange.flush].map(median);
const snapSecond = noChange.snap.length ? median(noChange.snap) : undefined;

const ratio = (a, b) => (b === undefined ? 'n/a (not installed)' : `${(a / b).toFixed(2)}x`);
console.log(`
odbackup / bare rsync, first pass:        ${ratio(odFirst, rsFirst)}
odbackup / bare rsync, no-change pass:    ${ratio(odSecond, rsSecond)}   (target <= 1.15x)
odbackup / (rsync + sync -f), no-change:  ${ratio(odSecond, rsSecond + flushSecond)}   (the same durability on both sides)
odbackup / rsnapshot, first pass:         ${ratio(odFirst, snapFirst)}
odbackup / rsnapshot, no-change pass:     ${ratio(odSecond, snapSecond)}   (target <= 1.0x)
durability: (rsync + sync -f) / rsync, first pass:      ${ratio(rsFirst + flushFirst, rsFirst)}
durability: (rsync + sync -f) / rsync, no-change pass:  ${ratio(rsSecond + flushSecond, rsSecond)}`);

const asThePass = { env: { ...process.env, ...unitEnvironment() } };

// A whole no-change pass (check, sync, copy check, scrub, promote, prune …) against `rsnapshot daily`, here and on a
// tree of 2000 files, where start-up and fixed costs dominate; run as the timer runs it. Medians of three, after
// one pass that settles.
async function wholePass(label, cycleConfig, snapConfig) {
  const cycle = ['--quiet', '--config', cycleConfig, 'cycle', '--no-suspend'];
  execFileSync(cli, cycle, asThePass);
  const kept = () => (existsSync(join(dirname(snapConfig), 'rsnapshot')) ? readdirSync(join(dirname(snapConfig), 'rsnapshot')).length : 0);
  if (have('rsnapshot')) while (kept() < 2) execFileSync('rsnapshot', ['-c', snapConfig, 'daily']);
  const ours = [];
  const theirs = [];
  const rss = { ours: [], theirs: [] };
  for (let run = 0; run < 3; run++) {
    await quiet();
    ours.push(time(`odbackup cycle (${label})`, cli, cycle, asThePass));
    rss.ours.push(peakRSS);
    await quiet();
    if (have('rsnapshot')) theirs.push(time(`rsnapshot daily (${label})`, 'rsnapshot', ['-c', snapConfig, 'daily']));
    rss.theirs.push(peakRSS);
  }
  const most = (values) => (values.every((value) => value !== undefined) ? Math.max(...values) : undefined);
  return { ours: median(ours), theirs: theirs.length ? median(theirs) : undefined, rss: { ours: most(rss.ours), theirs: most(rss.theirs) } };
}
console.log('whole no-change pass:');
const bigPass = await wholePass(`${files} files`, config, rsnapshotConfig);
const small = join(work, 'small');
mkdirSync(join(small, 'source'), { recursive: true });
for (let i = 0; i < 2000; i++) {
  if (i % 100 === 0) mkdirSync(join(small, 'source', String(i / 100)), { recursive: true });
  writeFileSync(join(small, 'source', String(Math.floor(i / 100)), `f${i}`), `file ${i}\n`.repeat(50));
}
const smallPass = await wholePass('2000 files', benchNode(small, 'small', 'files', join(small, 'source')), rsnapshotConf(small, join(small, 'source')));
const startup = [];
const bare = [];
for (let run = 0; run < 9; run++) {
  startup.push(timed(() => spawnSync(cli, ['--version']).status));
  bare.push(timed(() => spawnSync(process.execPath, ['-e', '0']).status));
}
const mib = (value) => (value === undefined ? 'n/a' : `${value.toFixed(0)} MiB`);
console.log(`whole cycle, no change / rsnapshot daily (${files} files): ${ratio(bigPass.ours, bigPass.theirs)}   (target <= 1.0x)`);
console.log(`whole cycle, no change / rsnapshot daily (2000 files):   ${ratio(smallPass.ours, smallPass.theirs)}   (target <= 1.5x)`);
console.log(`peak RSS of a whole cycle (${files} files):               ${mib(bigPass.rss.ours)} (rsnapshot: ${mib(bigPass.rss.theirs)}; target <= 80 MiB)`);
console.log(
  `start-up: odbackup --version / node -e 0:              ${ratio(median(startup), median(bare))}   (${median(startup).toFixed(2)} s / ${median(bare).toFixed(2)} s; target <= 1.5x)`,
);

// verify --full against xxh64sum and b3sum over the same files, warm cache (each read once before).
const odbackupCli = (...args) => ['--quiet', '--config', config, ...args];
// The very files odbackup reads (latest in the store), read once before: each tool reads the same cached inodes.
const snapshotDir = join(work, 'store', 'tree', readlinkSync(join(work, 'store', 'tree', 'latest')));
const fileList = join(work, 'files.nul');
writeFileSync(fileList, execFileSync('find', [snapshotDir, '-type', 'f', '-print0'], { maxBuffer: 1 << 30 }));
const overList = (program) => ['-c', `xargs -0 -n 2000 ${program} < "$1" > /dev/null`, 'sh', fileList];
spawnSync('sh', overList('cat'));
console.log('verify --full (warm cache):');
const totalBytes = Number(execFileSync('du', ['-sb', snapshotDir], { encoding: 'utf8' }).split('\t')[0]);
const full = time('odbackup verify --full', cli, odbackupCli('verify', '--full'));
const xxh = have('xxh64sum') ? time('xxh64sum', 'sh', overList('xxh64sum')) : undefined;
const b3 = have('b3sum') ? time('b3sum', 'sh', overList('b3sum')) : undefined;
const speed = (seconds) => `${(totalBytes / seconds / 1024 ** 3).toFixed(2)} GiB/s`;
console.log(`  throughput: odbackup ${speed(full)}, xxh64sum ${xxh ? speed(xxh) : 'n/a'}, b3sum ${b3 ? speed(b3) : 'n/a'}`);
console.log(`odbackup / xxh64sum throughput:          ${xxh ? (xxh / full).toFixed(2) + 'x' : 'n/a'}   (target >= 1.2x: two cores against one)`);
console.log(`odbackup / b3sum throughput:             ${b3 ? (b3 / full).toFixed(2) + 'x' : 'n/a'}`);

// A daily pass's verify: 1% of the files changed, plus the 1/30 scrub, against a full verify.
execFileSync(cli, odbackupCli('cycle', '--skip', 'sync', 'prune'));
scrubUntilCovered(odbackupCli('verify'));
/** A night's change: 1% of the files, pulled by sync (the copy check reads each snapshot's new files once). */
async function changeAndSync() {
  for (let i = 0; i < files; i += 100) {
    const directory = join(source, `d${String(i % 100).padStart(2, '0')}`, `e${String(Math.floor(i / 100) % 100).padStart(2, '0')}`);
    writeFileSync(join(directory, `f${i}.bin`), `changed ${i} ${Date.now()}`, { flag: 'a' });
  }
  await new Promise((done) => setTimeout(done, 1100));
  execFileSync(cli, odbackupCli('sync'));
}
await changeAndSync();
const daily = time('odbackup verify (1% changed + scrub)', cli, odbackupCli('verify'));
console.log(`daily verify / full verify:              ${(daily / full).toFixed(3)}   (target <= 0.15)`);
// The node's case: a full verify reads terabytes no cache holds, the scrub slice is of old snapshots. Suspend to RAM
// keeps the page cache, so node and the program stay cached (one run warms them after the drop); the store does not.
if (process.getuid?.() === 0) {
  const cold = (label, args) => {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    execFileSync(cli, ['codes']);
    return time(label, cli, odbackupCli(...args));
  };
  await changeAndSync();
  const dailyCold = cold('odbackup verify, cold cache', ['verify']);
  const fullCold = cold('odbackup verify --full, cold cache', ['verify', '--full']);
  console.log(`daily verify / full verify, cold cache: ${(dailyCold / fullCold).toFixed(3)}   (the node's case: the store read from disk)`);
}

// Getting data back: versions and find over 30 snapshots (the cost of reading manifests), and a whole-source
// restore (with its read-back proof) against rsync -a of the same snapshot.
const sourceStore = join(work, 'store', 'tree');
const latestSnapshot = readlinkSync(join(sourceStore, 'latest'));
for (let day = 1; readdirSync(sourceStore).filter((name) => /^\d{4}-.*Z$/.test(name)).length < 30; day++) {
  const name = `2020-01-${String(day).padStart(2, '0')}T030000Z`;
  execFileSync('cp', ['-al', join(sourceStore, latestSnapshot), join(sourceStore, name)]);
  execFileSync('cp', [join(sourceStore, `${latestSnapshot}.xxh64`), join(sourceStore, `${name}.xxh64`)]);
}
console.log(`getting data back (30 snapshots of ${files} files):`);
const versionsTime = time('odbackup versions', cli, odbackupCli('versions', 'tree', 'd00/e00/f0.bin'));
const findTime = time("odbackup find '*1234*'", cli, odbackupCli('find', '*1234*'));
const restored = join(work, 'restored');
await quiet();
const restoreTime = time('odbackup restore (whole source)', cli, odbackupCli('restore', 'tree', '--to', restored));
await quiet();
const rsyncRestore = time('rsync -a of the same snapshot', 'rsync', ['-a', `${join(sourceStore, latestSnapshot)}/`, join(work, 'rsync-restored') + '/']);
// A restore is durable before it reports (its write-back), as rsync's copy is only after a sync -f.
const rsyncRestoreFlush = time('sync -f after it (durability)', 'sync', ['-f', join(work, 'rsync-restored')]);
console.log(`versions, find over 30 snapshots:        ${versionsTime.toFixed(2)} s, ${findTime.toFixed(2)} s   (target < 2 s)`);
console.log(`restore (proven) / rsync -a:             ${(restoreTime / rsyncRestore).toFixed(2)}x   (target <= 1.2x)`);
console.log(`restore (proven) / (rsync -a + sync -f): ${(restoreTime / (rsyncRestore + rsyncRestoreFlush)).toFixed(2)}x   (the same durability on both sides)`);
rmSync(restored, { recursive: true, force: true });
rmSync(join(work, 'rsync-restored'), { recursive: true, force: true });

// The published catalog at the same size: thirty snapshots, the page and --catalog (catalogRows).
await catalogRows(files);

// Peak RSS of verify --full over many small files (BENCH_RSS_FILES, default 1,000,000).
const rssFiles = Number(process.env.BENCH_RSS_FILES ?? 1_000_000);
if (rssFiles > 0 && have('/usr/bin/time')) {
  const many = join(work, 'many');
  for (let i = 0; i < rssFiles; i++) {
    const directory = join(many, String(Math.floor(i / 1000)));
    if (i % 1000 === 0) mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, `${i}`), `${i}`);
  }
  const rssConfig = benchNode(join(work, 'rss'), 'many', 'images', many);
  execFileSync(cli, ['--quiet', '--config', rssConfig, 'sync']);
  time(`odbackup verify --full (${rssFiles} files)`, cli, ['--quiet', '--config', rssConfig, 'verify', '--full']);
  console.log(`peak RSS of verify --full over ${rssFiles} files: ${peakRSS.toFixed(0)} MiB   (target <= 128 MiB)`);
}
// A pass's cost must not grow with the store's age: one cycle on a store with 1 night of snapshots against one
// after BENCH_NIGHTS (default 365) nights (retention, state, journal and scrub at their steady size), faketime.
const nights = Number(process.env.BENCH_NIGHTS ?? 365);
if (nights > 1 && have('faketime')) {
  const aged = join(work, 'aged');
  const agedSource = join(aged, 'source');
  for (let i = 0; i < 2000; i++) {
    if (i % 100 === 0) mkdirSync(join(agedSource, String(i / 100)), { recursive: true });
    writeFileSync(join(agedSource, String(Math.floor(i / 100)), `f${i}`), `file ${i}\n`.repeat(50));
  }
  const agedConfig = benchNode(aged, 'aged', 'databases', agedSource);
  const night = (n) => {
    writeFileSync(join(agedSource, 'nightly.txt'), `night ${n}\n`);
    const day = new Date(Date.UTC(2027, 0, 1 + n, 3)).toISOString().replace('T', ' ').slice(0, 19);
    const env = { ...process.env, TZ: 'UTC', NO_FAKE_STAT: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' };
    return () => spawnSync('faketime', [day, cli, '--quiet', '--config', agedConfig, 'cycle'], { env, stdio: 'ignore' }).status;
  };
  console.log(`a pass on a young store and after ${nights} nights (2000 files, faketime; median of 5 nights each):`);
  night(0)();
  const seconds = Array.from({ length: nights }, (_, n) => timed(night(n + 1)));
  const young = median(seconds.slice(0, 5));
  // From night 8 on, retention (7 daily) removes a snapshot every night: rsnapshot's rm -rf, a constant cost.
  const pruning = median(seconds.slice(10, 15));
  const old = median(seconds.slice(-5));
  console.log(`  cycle, nights 2-6                  ${young.toFixed(2)} s`);
  console.log(`  cycle, nights 12-16 (pruning)      ${pruning.toFixed(2)} s`);
  console.log(`  cycle, nights ${nights - 3}-${nights + 1}              ${old.toFixed(2)} s`);
  console.log(`pass after ${nights} nights / pass on a young store:   ${(old / young).toFixed(2)}x   (target <= 1.1x)`);
  console.log(`pass after ${nights} nights / once retention prunes:   ${(old / pruning).toFixed(2)}x`);
}

function timed(run) {
  const start = process.hrtime.bigint();
  if (run() !== 0) throw new Error('a timed run failed');
  return Number(process.hrtime.bigint() - start) / 1e9;
}

if (!process.env.BENCH_KEEP) execFileSync('rm', ['-rf', work]);
