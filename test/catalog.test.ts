import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { nightClock } from './harness/nights.js';
import { freePort, startSshd } from './harness/sshd.js';
import { BIN, isRoot, odbackup, odbackupAsync, odbackupSpawn, removeDir, tempDir, waitFor, writeConfig, writeFiles } from './helpers.js';

const root = tempDir();
const source = join(root, 'laptop');
const dir = join(root, 'node');
const published = join(root, 'published');
const requests = join(root, 'requests');
const jimLaptop = join(root, 'jim-laptop');
/** A destination whose share is not mounted: its folder is not there. */
const unmountedDisk = join(root, 'mnt', 'usb-disk');
const XSS_NAME = '<img src=x onerror=alert(1)>.png';
/** Names the path index escapes: a tab, a backslash, a newline. */
const TAB_NAME = 'tab\there\\back.txt';
const NEWLINE_NAME = 'line\nbreak.txt';
let config: string;

/** Jim's drawing: three versions over four nights; the fourth night changes nothing. */
export const NIGHTS: { night: string; files: Record<string, string> }[] = [
  { night: '2026-11-01', files: { 'drawings/jim/house-drawing.dxf': 'house v1', [XSS_NAME]: 'not a script', [TAB_NAME]: 'tab', [NEWLINE_NAME]: 'newline' } },
  { night: '2026-11-02', files: { 'drawings/jim/house-drawing.dxf': 'house v2 (a porch)' } },
  { night: '2026-11-03', files: { 'drawings/jim/house-drawing.dxf': 'house v3 (a second floor)' } },
  { night: '2026-11-04', files: {} },
];

const run = (...args: string[]) => odbackup(['--config', config, ...args]);
const indexOf = () => JSON.parse(readFileSync(join(published, 'test-node', 'index.json'), 'utf8'));
/** Every line of a published path index's chunks. */
const indexLines = (folder: string) =>
  readdirSync(join(published, 'test-node', folder))
    .filter((piece) => /^c\d+\.gz$/.test(piece))
    .flatMap((piece) => gunzipSync(readFileSync(join(published, 'test-node', folder, piece))).toString('utf8').split('\n').filter(Boolean));
async function night(date: string, configPath = config) {
  const at = nightClock(`${date} 03:00:00`);
  const pass = await odbackupAsync(['--config', configPath, 'cycle', '--no-suspend'], at.env, at.prefix);
  return pass;
}

before(async () => {
  for (const folder of [published, jimLaptop]) mkdirSync(folder, { recursive: true });
  writeFiles(source, { 'docs/letter.txt': 'Dear Jocinta' });
  writeFileSync(Buffer.concat([Buffer.from(`${source}/`), Buffer.from('caf\xe9.txt', 'latin1')]), 'latin-1 name');
  config = writeConfig(dir, [{ name: 'work', group: 'laptops', from: source }], {
    retention: { daily: 30, weekly: 0, monthly: 0 },
    catalog: { to: published, requests },
    restore: { destinations: { 'jim-laptop': jimLaptop, 'usb-disk': unmountedDisk } },
  });
  for (const { night: date, files } of NIGHTS) {
    writeFiles(source, files);
    const pass = await night(date);
    assert.equal(pass.status, 0, `night ${date}: ${pass.stdout}${pass.stderr}`);
    // After every publish, what index.json names is there: a reader never meets half a catalog.
    const { folder, chunks } = indexOf().sources[0].index;
    for (const piece of ['heads.gz', 'dirs.gz', 'g0.gz', ...Array.from({ length: chunks }, (_, n) => `c${n}.gz`)])
      assert.ok(existsSync(join(published, 'test-node', folder, piece)), `${folder}/${piece}`);
  }
});
after(() => removeDir(root));

describe('the catalog every pass publishes', () => {
  test("a path index: each file's versions with size, mtime, XXH64 and the snapshots that hold them; the page, nodes.json and the request schema beside it", () => {
    const index = indexOf();
    assert.equal(index.node, 'test-node');
    assert.deepEqual(index.lastPass.exitCode, 0);
    assert.deepEqual(index.destinations, ['jim-laptop', 'usb-disk']);
    const snapshots = index.sources[0].snapshots as { snapshot: string; files: number; latest: boolean }[];
    assert.equal(snapshots.length, 4);
    assert.equal(snapshots.filter((row) => row.latest).length, 1);
    assert.deepEqual(readdirSync(join(published, 'test-node', 'data', 'work')), [index.sources[0].index.folder.split('/').at(-1)], 'one index: the one index.json names');
    const lines = indexLines(index.sources[0].index.folder);
    const drawing = lines.find((line) => line.endsWith('\tdrawings/jim/house-drawing.dxf'))!;
    const versions = drawing.split('\t')[0]!.split(' ').map((text) => text.split(','));
    assert.deepEqual(versions.map(([, , , runs]) => runs), ['0', '1', '2-3'], 'v3 is in the third and the fourth snapshot');
    const [hash, size, mtime] = versions[1]!;
    assert.equal(Number(size), 'house v2 (a porch)'.length);
    const kept = statSync(join(dir, 'store', 'work', snapshots[1]!.snapshot, 'drawings/jim/house-drawing.dxf'));
    assert.equal(Number(mtime), Math.floor(kept.mtimeMs / 1000));
    const stored = readFileSync(join(dir, 'store', 'work', `${snapshots[1]!.snapshot}.xxh64`), 'utf8');
    assert.ok(stored.includes(`${hash}  drawings/jim/house-drawing.dxf\n`), 'the same XXH64 as the manifest');
    assert.ok(lines.some((line) => line.endsWith('\tcaf\\\\xe9.txt')), 'a name that is not UTF-8 as \\xNN, its backslash escaped');
    assert.deepEqual(JSON.parse(readFileSync(join(published, 'nodes.json'), 'utf8')), ['test-node']);
    for (const file of ['index.html', 'request.schema.json', 'match.js', 'path-index.js']) assert.ok(existsSync(join(published, file)), file);
  });

  test('a night with a new snapshot writes a new index and removes the one before; a pass that adds nothing writes nothing', async () => {
    const data = join(published, 'test-node', 'data', 'work');
    const before = readdirSync(data);
    const pass = await night('2026-11-05');
    assert.equal(pass.status, 0, pass.stderr);
    assert.match(pass.stdout, /catalog +ok +catalog of 6 files published to .* \(1 snapshot added, 0 removed\)/, 'each file once, in whichever snapshots');
    const after = readdirSync(data);
    assert.equal(after.length, 1);
    assert.notDeepEqual(after, before);
    const pieces = readdirSync(join(data, after[0]!));
    const times = pieces.map((piece) => statSync(join(data, after[0]!, piece)).mtimeMs);
    const again = run('catalog');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /\(0 snapshots added, 0 removed\)/);
    assert.deepEqual(readdirSync(data), after);
    assert.deepEqual(pieces.map((piece) => statSync(join(data, after[0]!, piece)).mtimeMs), times, 'not written again');
  });

  test('snapshots, find, versions and diff read a copy with --catalog: the same output as on the node, with no configuration and no root', () => {
    const copy = join(root, 'copy');
    cpSync(published, copy, { recursive: true });
    chmodSync(root, 0o755);
    spawnSync('chmod', ['-R', 'a+rX', copy]);
    const snapshots = indexOf().sources[0].snapshots as { snapshot: string }[];
    const commands = [
      ['snapshots'],
      ['snapshots', 'laptops'],
      ['find', '*.dxf'],
      ['find', 'drawings/**'],
      ['versions', 'work', 'drawings/jim/house-drawing.dxf'],
      ['diff', 'work'],
      ['diff', 'work', snapshots[0]!.snapshot, snapshots[2]!.snapshot],
      ['--json', 'versions', 'work', 'caf\\xe9.txt'],
      ['find', 'tab*'],
      ['--json', 'find', 'line*'],
      ['versions', 'work', TAB_NAME],
      ['--json', 'versions', 'work', NEWLINE_NAME],
    ];
    // As nobody, where the test runs as root: a copy of the catalog is all it needs.
    const asUser = isRoot() ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : [];
    for (const command of commands) {
      const onNode = run(...command);
      assert.equal(onNode.status, 0, `${command.join(' ')}: ${onNode.stderr}`);
      const [program, ...args] = [...asUser, process.execPath, BIN, ...command, '--catalog', copy];
      const anywhere = spawnSync(program!, args, { encoding: 'utf8', env: { ...process.env, ODBACKUP_CONFIG: join(root, 'no-such-config.json'), NO_COLOR: '1' } });
      assert.equal(anywhere.status, 0, `${command.join(' ')} --catalog: ${anywhere.stderr}`);
      assert.equal(anywhere.stdout, onNode.stdout, command.join(' '));
    }
    const unknown = odbackup(['versions', 'work', 'no/such/file', '--catalog', copy]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /work has no file no\/such\/file in any snapshot/);
    const notCatalog = odbackup(['snapshots', '--catalog', root]);
    assert.equal(notCatalog.status, 2);
    assert.match(notCatalog.stderr, /is not an odbackup catalog: no index\.json/);
  });
});

describe('the page tells the truth after a failed night', () => {
  test("FAILED (42) names the source and says the others were saved; with the store's disk gone (10) the snapshots stay as they were and the pass is FAILED", () => {
    const home = join(root, 'failing-node');
    const www = join(root, 'failing-www');
    mkdirSync(www, { recursive: true });
    const dumps = join(root, 'site-db');
    writeFiles(dumps, { 'site.sql': 'dump' });
    const failing = writeConfig(
      home,
      [
        { name: 'site-db', group: 'databases', from: dumps, expect: ['tonight.sql'] },
        { name: 'work', group: 'laptops', from: source },
      ],
      { catalog: { to: www } },
    );
    const index = () => JSON.parse(readFileSync(join(www, 'test-node', 'index.json'), 'utf8'));
    const missingDump = odbackup(['--config', failing, 'cycle']);
    assert.equal(missingDump.status, 42, missingDump.stderr);
    assert.equal(index().lastPass.exitCode, 42);
    assert.match(index().lastPass.summary, /^FAILED \(42\): site-db: expected "tonight\.sql" not found at .*; the other sources were saved$/);
    const saved = index().sources.find((row: { name: string }) => row.name === 'work').snapshots;
    assert.equal(saved.length, 1, 'work was saved and published');

    writeFiles(dumps, { 'tonight.sql': 'dump' });
    assert.equal(odbackup(['--config', failing, 'cycle']).status, 0);
    assert.equal(index().lastPass.summary, 'OK');
    const before = index().sources;
    // The store's disk is gone: the catalog step still publishes the pass, with the snapshots as they last were.
    renameSync(join(home, 'store'), join(home, 'store-away'));
    const gone = odbackup(['--config', failing, 'cycle']);
    assert.equal(gone.status, 10, gone.stderr);
    assert.match(gone.stdout, /catalog +ok +the pass's outcome published to .*; the snapshots as they last were/);
    assert.equal(index().lastPass.exitCode, 10);
    assert.match(index().lastPass.summary, /^FAILED \(10\): /);
    assert.deepEqual(index().sources, before);
    assert.equal(existsSync(join(home, 'store')), false, 'no store was made where the disk should be');
  });
});

describe('a catalog copy is untrusted input', () => {
  test('a wrong shape, a data path out of the folder, a link, duplicate keys: one line and 2; missing data: 52; nothing outside is read', () => {
    const copy = join(root, 'hostile-copy');
    cpSync(join(published, 'test-node'), copy, { recursive: true });
    const good = readFileSync(join(copy, 'index.json'), 'utf8');
    mkdirSync(join(root, 'outside'), { recursive: true });
    writeFileSync(join(root, 'outside', 'c0.gz'), gzipSync('0123456789abcdef,1,1,0\tsecret-outside\n'));
    const index = JSON.parse(good);
    const withIndex = (change: (pathIndex: Record<string, unknown>) => void) => {
      const changed = structuredClone(index);
      change(changed.sources[0].index);
      return JSON.stringify(changed);
    };
    const cases: [string, string, number, RegExp][] = [
      ['wrong shape', JSON.stringify({ ...index, sources: [{ name: 'work', group: 'laptops', coverage: '', snapshots: 5 }] }), 2, /index\.json: sources\.0\.snapshots must be array/],
      ['out of the folder', withIndex((pathIndex) => (pathIndex.folder = '../outside')), 2, /index\.json: sources\.0\.index\.folder must match pattern/],
      ['duplicate keys', good.replace('{"version":2,', '{"version":2,"version":2,'), 2, /index\.json: version is given twice in the same object/],
      ['not JSON', '{"version": 2, ', 2, /index\.json is not JSON/],
      ['an older catalog', good.replace('{"version":2,', '{"version":1,'), 2, /index\.json: version must be equal to constant/],
    ];
    for (const [what, text, code, message] of cases) {
      writeFileSync(join(copy, 'index.json'), text);
      const find = odbackup(['find', '*', '--catalog', copy]);
      assert.equal(find.status, code, `${what}: ${find.stderr}`);
      assert.match(find.stderr, message, what);
      assert.equal(find.stderr.trim().split('\n').length <= 2, true, `${what}: one line (and a hint): ${find.stderr}`);
      assert.doesNotMatch(find.stdout + find.stderr, /secret-outside|RangeError|    at /, what);
    }
    rmSync(join(copy, 'index.json'));
    symlinkSync(join(published, 'test-node', 'index.json'), join(copy, 'index.json'));
    const linked = odbackup(['snapshots', '--catalog', copy]);
    assert.equal(linked.status, 2, linked.stderr);
    assert.match(linked.stderr, /index\.json is a symbolic link, not a regular file/);
    rmSync(join(copy, 'index.json'));
    writeFileSync(join(copy, 'index.json'), good);
    const folder = join(copy, index.sources[0].index.folder);
    writeFileSync(join(folder, 'c0.gz'), gzipSync('not a line of an index\n'));
    const damaged = odbackup(['find', '*', '--catalog', copy]);
    assert.equal(damaged.status, 52, damaged.stderr);
    assert.match(damaged.stderr, /c0\.gz: line 1 is not a catalog line/);
    rmSync(join(folder, 'c0.gz'));
    symlinkSync(join(root, 'outside', 'c0.gz'), join(folder, 'c0.gz'));
    const linkedPiece = odbackup(['find', '*', '--catalog', copy]);
    assert.equal(linkedPiece.status, 52, linkedPiece.stderr);
    assert.match(linkedPiece.stderr, /c0\.gz cannot be read: is a symbolic link/);
    assert.doesNotMatch(linkedPiece.stdout + linkedPiece.stderr, /secret-outside/);
    rmSync(join(folder, 'c0.gz'));
    const missing = odbackup(['find', '*', '--catalog', copy]);
    assert.equal(missing.status, 52, missing.stderr);
    assert.match(missing.stderr, /the catalog's .*c0\.gz cannot be read: cannot be read \(ENOENT\)/);
  });
});

describe('restore requests, served at the next pass', () => {
  const ask = (name: string, request: unknown) => writeFileSync(join(requests, name), typeof request === 'string' ? request : JSON.stringify(request));

  test("Jim's drawing, version 2: restored into a new folder named after the request, equal to night 2's bytes; served once", async () => {
    mkdirSync(requests, { recursive: true });
    ask('jim-house-v2.json', { source: 'work', path: 'drawings/jim/house-drawing.dxf', version: 2, destination: 'jim-laptop', requestedBy: 'Jim' });
    const pass = await night('2026-11-06');
    assert.equal(pass.status, 0, pass.stderr);
    assert.match(pass.stdout, /requests +ok +1 restore request served, 0 refused or failed/);
    assert.equal(readFileSync(join(jimLaptop, 'jim-house-v2', 'drawings/jim/house-drawing.dxf'), 'utf8'), 'house v2 (a porch)');
    const result = indexOf().requests.find((request: { id: string }) => request.id === 'jim-house-v2');
    assert.equal(result.status, 'done');
    assert.match(result.message, /^restored 1 file \(18 B\) of work 2026-11-02T0300\d\dZ \(drawings\/jim\/house-drawing\.dxf\) to jim-laptop\/jim-house-v2/);
    assert.match(run('status').stdout, /jim-house-v2 +done/);
    const journal = readFileSync(join(dir, 'state', 'journal.jsonl'), 'utf8');
    assert.match(journal, /"event":"request".*"message":"jim-house-v2: done: restored 1 file/);

    const again = await night('2026-11-07');
    assert.match(again.stdout, /requests +ok +0 restore requests served, 0 refused or failed/, 'served once: the file still in the folder is not served again');
  });

  test('bad requests are answered with a reason and change nothing; a flood waits for the next pass', async () => {
    const bad: [string, unknown, RegExp][] = [
      ['malformed.json', '{"source": "work", "path": ', /refused: not JSON/],
      ['not-an-object.json', '[1, 2]', /refused: the request is not a JSON object/],
      ['unknown-source.json', { source: 'payroll', path: 'a', destination: 'jim-laptop' }, /refused: no source named "payroll"/],
      ['unknown-path.json', { source: 'work', path: 'no/such.dxf', destination: 'jim-laptop' }, /has no file no\/such\.dxf/],
      ['unknown-version.json', { source: 'work', path: 'drawings/jim/house-drawing.dxf', version: 99, destination: 'jim-laptop' }, /version 99/],
      ['unknown-destination.json', { source: 'work', path: 'docs', destination: 'mallory' }, /refused: no destination named "mallory"/],
      ['dot-dot.json', { source: 'work', path: '../../etc/passwd', destination: 'jim-laptop' }, /leaves the snapshot \(\.\.\)/],
      ['absolute.json', { source: 'work', path: '/etc/passwd', destination: 'jim-laptop' }, /is absolute/],
      ['nul.json', { source: 'work', path: 'docs/\u0000x', destination: 'jim-laptop' }, /contains a NUL byte/],
      ['huge.json', JSON.stringify({ source: 'work', path: 'docs', destination: 'jim-laptop', requestedBy: 'x'.repeat(20_000) }), /refused: the file is larger than 16384 bytes/],
      ['host-of-its-own.json', { source: 'work', path: 'docs', destination: 'jim-laptop', to: 'mallory@evil:/' }, /refused: the request has an unknown field "to"/],
      ['space in name.json', { source: 'work', path: 'docs', destination: 'jim-laptop' }, /refused: a request is named with letters/],
    ];
    for (const [name, request] of bad) ask(name, request);
    const before = readdirSync(jimLaptop).sort();
    const pass = await night('2026-11-08');
    assert.equal(pass.status, 0, pass.stderr);
    // A refused request costs no restore: all twelve are answered in one pass (maxRequests counts restores).
    assert.match(pass.stdout, /requests +ok +0 restore requests served, 12 refused or failed/);
    const answered = indexOf().requests as { id: string; status: string; message: string }[];
    for (const [name, , reason] of bad) {
      const result = answered.find((request) => request.id === name.slice(0, -5));
      assert.ok(result, `${name} answered`);
      assert.equal(result.status, 'failed', name);
      assert.match(result.message, reason, name);
      assert.doesNotMatch(result.message, /\n/, `${name}: one line`);
    }
    assert.deepEqual(readdirSync(jimLaptop).sort(), before, 'nothing was written');
  });
});

describe('a hostile requests folder', () => {
  test('a symlink, a FIFO, /dev/zero, duplicate keys: refused in words, nothing followed, read or blocked; a BOM is read; a name used before and a missing destination are answered', { timeout: 300_000 }, async () => {
    const secret = join(root, 'shadow');
    writeFileSync(secret, 'root:SECRET-HASH:20240:0:99999:7:::\n');
    symlinkSync(secret, join(requests, 'shadow.json'));
    symlinkSync('/dev/zero', join(requests, 'zero.json'));
    assert.equal(spawnSync('mkfifo', [join(requests, 'fifo.json')]).status, 0);
    const ask = (name: string, text: string | Buffer) => writeFileSync(join(requests, name), text);
    ask('twice.json', '{"source": "work", "path": "/etc/passwd", "path": "docs/letter.txt", "destination": "jim-laptop"}');
    ask('notepad.json', `\uFEFF${JSON.stringify({ source: 'work', path: 'docs/letter.txt', destination: 'jim-laptop' })}`);
    ask('latin1.json', Buffer.from('{"source": "work", "path": "caf\xe9", "destination": "jim-laptop"}', 'latin1'));
    ask('unmounted.json', JSON.stringify({ source: 'work', path: 'docs/letter.txt', destination: 'usb-disk' }));
    // The name of a request served on an earlier night, saved anew.
    ask('jim-house-v2.json', JSON.stringify({ source: 'work', path: 'docs/letter.txt', destination: 'jim-laptop' }));
    const pass = await night('2026-11-10');
    assert.equal(pass.status, 0, pass.stderr);
    const answered = indexOf().requests as { id: string; status: string; code?: number; message: string }[];
    const answer = (id: string) => answered.find((request) => request.id === id)!;
    assert.match(answer('shadow').message, /^refused: the file is a symbolic link, not a regular file$/);
    assert.match(answer('zero').message, /^refused: the file is a symbolic link, not a regular file$/);
    assert.match(answer('fifo').message, /^refused: the file is a FIFO, not a regular file$/);
    assert.match(answer('twice').message, /^refused: the request "path" is given twice in the same object/);
    assert.match(answer('latin1').message, /^refused: the file is not UTF-8 text$/);
    assert.equal(answer('notepad').status, 'done', answer('notepad').message);
    assert.equal(readFileSync(join(jimLaptop, 'notepad', 'docs', 'letter.txt'), 'utf8'), 'Dear Jocinta');
    assert.deepEqual([answer('unmounted').code, answer('unmounted').status], [54, 'failed']);
    assert.match(answer('unmounted').message, /the destination usb-disk \(.*usb-disk\) is not there: is its share mounted\? nothing was written/);
    assert.equal(existsSync(unmountedDisk), false, 'an unmounted share is not created on the node');
    assert.match(answer('jim-house-v2').message, /^refused: the name jim-house-v2 was used by a request answered on 2026-11-06 \(done\): save it under a new name$/);
    const kept = readFileSync(join(published, 'test-node', 'index.json'), 'utf8') + readFileSync(join(dir, 'state', 'state.json'), 'utf8');
    assert.doesNotMatch(kept, /SECRET-HASH/, 'nothing of a linked file is quoted');
    const again = await night('2026-11-11');
    assert.match(again.stdout, /requests +ok +0 restore requests served, 0 refused or failed/, 'each answered once');
  });
});

describe('a catalog host over ssh (rrsync -wo), and one that cannot be reached', () => {
  test('a local catalog.to that is not there (an unmounted share) is warning 23 and is not created', () => {
    const missing = join(root, 'mnt', 'www');
    const gone = writeConfig(join(root, 'gone-node'), [{ name: 'work', group: 'laptops', from: source }], { catalog: { to: missing } });
    const pass = odbackup(['--config', gone, 'cycle']);
    assert.equal(pass.status, 0, pass.stderr);
    assert.match(pass.stderr, /warning 23: catalog: the catalog was not published: .*mnt\/www is not there \(is its share mounted\?\)/);
    assert.equal(existsSync(missing), false);
  });

  test('an unreachable host is warning 23 and a backup that succeeded; the next pass publishes everything', async () => {
    const host = join(root, 'catalog-host');
    mkdirSync(host, { recursive: true });
    const sshd = await startSshd(join(root, 'sshd-catalog'), host, '-wo');
    try {
      const remote = (port: number) =>
        writeConfig(join(root, 'remote-node'), [{ name: 'work', group: 'laptops', from: source }], {
          catalog: { to: `${sshd.user}@127.0.0.1:/`, ssh: { port, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile, connectTimeout: 5 } },
        });
      const down = odbackup(['--config', remote(await freePort()), 'cycle']);
      assert.equal(down.status, 0, down.stderr);
      assert.match(down.stderr, /warning 23: catalog: the catalog was not published to .*127\.0\.0\.1:\/: source unreachable: .*Connection refused/);
      assert.equal(existsSync(join(host, 'test-node')), false);
      const up = odbackup(['--config', remote(sshd.port), 'cycle']);
      assert.equal(up.status, 0, up.stderr);
      const index = JSON.parse(readFileSync(join(host, 'test-node', 'index.json'), 'utf8'));
      assert.ok(index.sources[0].snapshots.length >= 1);
      assert.ok(existsSync(join(host, 'test-node', index.sources[0].index.folder, 'c0.gz')));
      for (const file of ['index.html', 'path-index.js']) assert.ok(existsSync(join(host, file)), file);
    } finally {
      await sshd.stop();
    }
  });
});

describe('a request whose pass is cut off', () => {
  test('kill -9 while it is being restored: the next pass answers it as cut off and does not restore it twice', async () => {
    const big = join(root, 'big-source');
    writeFiles(big, { 'video.mkv': Buffer.alloc(300 * 1024 * 1024, 7) });
    const home = join(root, 'cut-node');
    const inbox = join(root, 'cut-requests');
    mkdirSync(inbox, { recursive: true });
    const share = join(root, 'cut-share');
    mkdirSync(share, { recursive: true });
    const cutConfig = writeConfig(home, [{ name: 'media', group: 'media', from: big }], {
      catalog: { requests: inbox },
      restore: { destinations: { share } },
    });
    assert.equal(odbackup(['--config', cutConfig, 'cycle']).status, 0);
    writeFileSync(join(inbox, 'film.json'), JSON.stringify({ source: 'media', path: 'video.mkv', destination: 'share' }));
    const journal = join(home, 'state', 'journal.jsonl');
    const serving = odbackupSpawn(['--config', cutConfig, 'requests']);
    const staging = () => (existsSync(join(share, 'film')) ? readdirSync(join(share, 'film')) : []).filter((name) => name.startsWith('.odbackup-restore-'));
    await waitFor(() => staging().length > 0, 'the restore to stage its first files', 60_000);
    process.kill(-serving.pid!, 'SIGKILL');
    await new Promise((done) => serving.on('exit', done));
    const next = odbackup(['--config', cutConfig, 'cycle']);
    assert.equal(next.status, 0, next.stderr);
    const state = JSON.parse(readFileSync(join(home, 'state', 'state.json'), 'utf8'));
    const film = state.requests.filter((request: { id: string }) => request.id === 'film');
    assert.deepEqual(
      film.map((request: { status: string; code: number }) => [request.status, request.code]),
      [['failed', 54]],
    );
    assert.match(film[0].message, /the pass serving it was cut off; nothing was put in place: save the request again under a new name/);
    assert.deepEqual(readdirSync(share), [], 'what the cut-off restore staged is gone');
    assert.doesNotMatch(readFileSync(journal, 'utf8'), /"message":"film: done/, 'never restored twice');
  });
});

describe('restore requests read over ssh (rrsync -ro)', () => {
  test('a request left on the web server is fetched with a read-only key and served to a remote destination (rrsync -wo)', async () => {
    const webRequests = join(root, 'web-requests');
    const laptop = join(root, 'jocinta-laptop');
    mkdirSync(webRequests, { recursive: true });
    mkdirSync(laptop, { recursive: true });
    writeFileSync(join(webRequests, 'letter.json'), JSON.stringify({ source: 'work', path: 'docs/letter.txt', destination: 'jocinta' }));
    const requestsHost = await startSshd(join(root, 'sshd-requests'), webRequests, '-ro');
    const laptopHost = await startSshd(join(root, 'sshd-laptop'), laptop, '-wo');
    try {
      const ssh = (host: typeof requestsHost) => ({ port: host.port, identityFile: host.identityFile, knownHostsFile: host.knownHostsFile, connectTimeout: 5 });
      const remote = writeConfig(join(root, 'ssh-requests-node'), [{ name: 'work', group: 'laptops', from: source }], {
        catalog: { requests: `${requestsHost.user}@127.0.0.1:/`, requestsSsh: ssh(requestsHost) },
        restore: { destinations: { jocinta: `${laptopHost.user}@127.0.0.1:/` }, ssh: ssh(laptopHost) },
      });
      const pass = odbackup(['--config', remote, 'cycle']);
      assert.equal(pass.status, 0, pass.stderr);
      assert.match(pass.stdout, /requests +ok +1 restore request served/);
      assert.equal(readFileSync(join(laptop, 'letter', 'docs', 'letter.txt'), 'utf8'), 'Dear Jocinta');
      assert.ok(existsSync(join(webRequests, 'letter.json')), 'the node only reads the requests folder');
    } finally {
      await requestsHost.stop();
      await laptopHost.stop();
    }
  });
});

describe('a node that published data files (the format before the path index)', () => {
  test('its next publish writes the path index and removes the data files here and on the web host; the snapshots stay as they were', () => {
    const staging = join(dir, 'state', 'catalog', 'test-node');
    const current = JSON.parse(readFileSync(join(staging, 'index.json'), 'utf8'));
    const older = structuredClone(current);
    older.version = 1;
    for (const source of older.sources) {
      delete source.index;
      for (const row of source.snapshots) row.data = `data/${source.name}/${row.snapshot}.gz`;
    }
    rmSync(join(staging, 'data'), { recursive: true });
    rmSync(join(published, 'test-node', 'data'), { recursive: true });
    for (const folder of [staging, join(published, 'test-node')]) {
      mkdirSync(join(folder, 'data', 'work'), { recursive: true });
      for (const row of older.sources[0].snapshots) writeFileSync(join(folder, row.data), gzipSync('0\t0\t0123456789abcdef  old-format\n'));
      writeFileSync(join(folder, 'index.json'), JSON.stringify(older));
    }
    const upgraded = run('catalog');
    assert.equal(upgraded.status, 0, upgraded.stderr);
    const index = indexOf();
    assert.equal(index.version, 2);
    assert.deepEqual(readdirSync(join(published, 'test-node', 'data', 'work')), [index.sources[0].index.folder.split('/').at(-1)], 'no data file left');
    assert.deepEqual(readdirSync(join(staging, 'data', 'work')), [index.sources[0].index.folder.split('/').at(-1)]);
    assert.deepEqual(index.sources[0].snapshots, current.sources[0].snapshots, 'the same snapshots and sizes');
    assert.ok(indexLines(index.sources[0].index.folder).some((line) => line.endsWith('\tdrawings/jim/house-drawing.dxf')));
  });
});

describe('pruned snapshots drop out of the catalog', () => {
  test('a retention of two days leaves an index of two', () => {
    const tight = writeConfig(dir, [{ name: 'work', group: 'laptops', from: source }], {
      retention: { daily: 2, weekly: 0, monthly: 0 },
      catalog: { to: published },
    });
    assert.equal(odbackup(['--config', tight, 'prune']).status, 0);
    const published2 = odbackup(['--config', tight, 'catalog']);
    assert.equal(published2.status, 0, published2.stderr);
    assert.match(published2.stdout, /\(0 snapshots added, \d+ removed\)/);
    const { snapshots, index } = indexOf().sources[0];
    assert.equal(snapshots.length, 2);
    assert.equal(readdirSync(join(published, 'test-node', 'data', 'work')).length, 1);
    const places = indexLines(index.folder).flatMap((line) => line.split('\t')[0]!.split(' ').map((version) => version.split(',')[3]));
    assert.ok(places.every((runs) => /^[01](-1)?$/.test(runs!)), `runs name the two snapshots left: ${places.join(' ')}`);
  });
});
