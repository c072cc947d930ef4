// Pure functions, imported directly: argv builders, parsers, retention, ping requests, wake reasons.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { requestProblem } from '../src/catalog/requests.js';
import stringWidth from 'string-width';
import { table } from '../src/render.js';
import { pathMatcher } from '../src/catalog/match.js';
import { candidateChunks, formatFolder, formatRecord, gramsOf, gramShard, parseFolder, parseGramLine, parseRecord, queryGrams, versionAt } from '../src/catalog/path-index.js';
import { MATCH_TABLE } from './harness/patterns.js';
import { ROOT } from './helpers.js';
import { classifyRsyncFailure, isTransferredFile, parseItemized, rsyncArgs } from '../src/adapters/rsync.js';
import type { Config } from '../src/config/types.js';
import { exec, type ExecResult } from '../src/exec.js';
import { fitBody, pingRequest } from '../src/monitor/pings.js';
import { wakeReason } from '../src/power/wake.js';
import { LINE_CHARS, SCREENS, screenFor, STATE_CHARS, wrapWords, type ScreenFacts } from '../src/display/screens.js';
import type { Ping, State } from '../src/state/run-state.js';
import { comparePaths, formatEntry, lookupManifest, parseEntry, readManifest } from '../src/store/manifest.js';
import { pathInSnapshot } from '../src/store/names.js';
import { expiredSnapshots } from '../src/store/retention.js';

test('rsyncArgs: a pull, an ssh pull and a checksum comparison, as one argv each', () => {
  assert.deepEqual(rsyncArgs({ from: '/srv/dumps', to: '/mnt/db/.partial', linkDests: ['/mnt/db/2026-11-22T030000Z'], bwlimit: '5m', timeout: 600 }), [
    '--archive',
    '--numeric-ids',
    '--delete',
    '--partial-dir=.rsync-partial',
    '--itemize-changes',
    '--out-format=%i %l %n',
    '--link-dest=/mnt/db/2026-11-22T030000Z',
    '--bwlimit=5m',
    '--timeout=600',
    '/srv/dumps/',
    '/mnt/db/.partial/',
  ]);
  const ssh = rsyncArgs({
    from: 'backup@db:/var/backups',
    to: '/mnt/db/.partial',
    ssh: { port: 2222, connectTimeout: 20, identityFile: '/etc/odbackup/id ed25519' },
  });
  assert.equal(
    ssh[ssh.indexOf('--rsh') + 1],
    "ssh -p 2222 -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=20 -o IdentitiesOnly=yes -i '/etc/odbackup/id ed25519'",
  );
  const compare = rsyncArgs({ from: '/src', to: '/snap', purpose: 'compare', checksum: true, dryRun: true, filesFrom: '/state/list' });
  assert.ok(!compare.includes('--delete'), 'a comparison never deletes');
  assert.deepEqual(compare.slice(-6), ['--checksum', '--dry-run', '--from0', '--files-from=/state/list', '/src/', '/snap/']);
  const restore = rsyncArgs({
    from: '/store/db/2026-11-22T030012Z',
    to: 'jim@laptop:/home/jim',
    purpose: 'restore',
    delayUpdates: true,
    filesFrom: '/state/restore.list',
  });
  assert.ok(!restore.includes('--delete'), 'a restore never deletes at the destination');
  assert.ok(restore.includes('--recursive') && restore.includes('--delay-updates'), 'directories whole, files put in place at the end');
});

test('parseItemized: transferred files, sizes and escaped names; other lines are not changes', () => {
  assert.deepEqual(parseItemized('>f+++++++++ 1234 dumps/db.sql.gz'), { flags: '>f+++++++++', size: 1234, name: 'dumps/db.sql.gz' });
  assert.deepEqual(parseItemized('>f.st...... 5 caf\\#351.txt'), { flags: '>f.st......', size: 5, name: 'caf\u00e9.txt' });
  assert.deepEqual(parseItemized('*deleting   0 old.txt'), { flags: '*deleting', size: 0, name: 'old.txt' });
  assert.equal(parseItemized('sent 1,234 bytes  received 56 bytes'), undefined);
  assert.ok(isTransferredFile(parseItemized('<f.st...... 6 notes.txt')!), 'a file sent to a remote destination (restore) is a transfer too');
  assert.ok(!isTransferredFile(parseItemized('.d..t...... 4096 ./')!));
  // -ii (listEveryFile): a file hard-linked from --link-dest or unchanged is listed, with its size, not transferred.
  for (const flags of ['hf         ', '.f         ', 'cd         ']) {
    const change = parseItemized(`${flags} 8589934 d00/e00/f0.bin`)!;
    assert.deepEqual([change.flags, change.size, isTransferredFile(change)], [flags.trim(), 8589934, false]);
  }
  assert.ok(rsyncArgs({ from: '/a', to: '/b', listEveryFile: true }).filter((word) => word === '--itemize-changes').length === 2);
});

const rsyncRun = (exitCode: number, stderr: string): ExecResult => ({
  command: 'rsync',
  exitCode,
  notFound: false,
  cancelled: false,
  timedOut: false,
  stdout: '',
  stderr,
});

test('classifyRsyncFailure: what went wrong and whether another try can help', () => {
  assert.deepEqual(classifyRsyncFailure(rsyncRun(11, 'rsync: write failed on "x": No space left on device (28)')), {
    kind: 'diskFull',
    retryable: false,
    message: 'the store is full (No space left on device)',
  });
  assert.deepEqual(classifyRsyncFailure(rsyncRun(23, 'rsync: change_dir "/srv/gone" failed: No such file or directory (2)')), {
    kind: 'sourceMissing',
    retryable: false,
    message: 'the source directory /srv/gone does not exist',
  });
  assert.equal(classifyRsyncFailure(rsyncRun(255, 'ssh: connect to host db port 22: Connection refused')).retryable, true);
  assert.equal(classifyRsyncFailure(rsyncRun(255, 'Host key verification failed.')).retryable, false);
  assert.equal(classifyRsyncFailure(rsyncRun(30, 'rsync error: timeout in data send/receive (code 30)')).kind, 'unreachable');
  assert.deepEqual(classifyRsyncFailure(rsyncRun(2, 'rsync error: protocol incompatibility (code 2)')), {
    kind: 'transfer',
    retryable: false,
    message: 'rsync exit 2: rsync error: protocol incompatibility (code 2)',
  });
});

test('manifest lines: names with newlines and backslashes round-trip; walk order compares path components', () => {
  for (const name of ['plain.txt', 'dir/a b.txt', 'back\\slash', 'new\nline', 'cr\r\\n'])
    assert.deepEqual(parseEntry(formatEntry({ hash: 'ef46db3751d8e999', name }).slice(0, -1)), { hash: 'ef46db3751d8e999', name });
  assert.equal(formatEntry({ hash: 'ef46db3751d8e999', name: 'new\nline' }), '\\ef46db3751d8e999  new\\nline\n');
  assert.equal(parseEntry('not a manifest line'), undefined);
  // A directory's files come before its later siblings ('a' < 'a-b'), which a plain string sort gets wrong ('-' < '/').
  assert.deepEqual(['a.b/c', 'a/b', 'a-b'].sort(comparePaths), ['a/b', 'a-b', 'a.b/c']);
  assert.deepEqual(['a.b/c', 'a/b', 'a-b'].sort(), ['a-b', 'a.b/c', 'a/b']);
});

test('path index lines: odd names round-trip, a version is found by its runs, a query reads only chunks with all its trigrams', () => {
  for (const name of ['plain.txt', 'tab\there', 'line\nbreak\rcr', 'back\\slash\\n', 'caf\\xe9.txt', '日本/ファイル']) {
    const record = { name, versions: [{ hash: '0123456789abcdef', size: 12, mtime: 1_700_000_000, runs: [[0, 2], [5, 5]] as [number, number][] }] };
    const line = formatRecord(record);
    assert.equal(line.split('\n').length, 2, `one line: ${JSON.stringify(name)}`);
    assert.deepEqual(parseRecord(line.slice(0, -1)), record);
    const folder = { name, first: 1, last: 4, chunks: [3, 7, 200] };
    assert.deepEqual(parseFolder(formatFolder(folder).slice(0, -1)), folder);
  }
  for (const bad of ['', '\tname', '0123456789abcdef,1,1,0 \tname', '0123456789abcdef,1,1,0.\tname', 'x\tname', '0123456789abcdef,1,1\tname', '0123456789abcdef,1,1,3-2\tname', '0123456789ABCDEF,1,1,0\tname']) assert.equal(parseRecord(bad), undefined, bad);
  const record = parseRecord('0123456789abcdef,1,1,0-1.4 fedcba9876543210,2,2,2-3\tdrawings/cat.png')!;
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((place) => versionAt(record, place)?.size), [1, 1, 2, 2, 1, undefined]);
  assert.deepEqual([...gramsOf('Cat.PNG')], ['cat', 'at.', 't.p', '.pn', 'png']);
  assert.deepEqual(queryGrams('*.PNG'), ['.pn', 'png']);
  assert.deepEqual(queryGrams('ca'), [], 'fewer than three characters: every chunk is read');
  const spread = new Set([...gramsOf('the quick brown fox jumps over the lazy dog')].map((gram) => gramShard(gram, 16)));
  assert.ok(spread.size >= 12, `trigrams spread over the shards: ${spread.size} of 16`);
  assert.equal(gramShard('cat', 256) % 16, gramShard('cat', 16), 'a shard of 256 folds into one of 16');
  const lines = new Map(['cat\t1,2,5', 'at.\t3,2'].map((line) => parseGramLine(line)!).map(({ gram, chunks }) => [gram, chunks]));
  assert.deepEqual(lines.get('cat'), [1, 3, 8], 'deltas');
  assert.deepEqual(candidateChunks(['cat', 'at.'], (gram) => lines.get(gram) ?? []), [3]);
  assert.equal(candidateChunks([], () => []), undefined);
});

test('retention: newest of each day, ISO week and month; the protected one always stays', () => {
  const snapshots = ['2026-10-01T030000Z', '2026-11-09T030000Z', '2026-11-10T030000Z', '2026-11-21T030000Z', '2026-11-22T020000Z', '2026-11-22T030000Z'];
  // daily 2: 11-22 03:00, 11-21; weekly 2: W47 (11-22 03:00), W46 (11-10); monthly 2: 11-22 03:00, 10-01.
  assert.deepEqual(expiredSnapshots(snapshots, { daily: 2, weekly: 2, monthly: 2 }, new Set()), ['2026-11-09T030000Z', '2026-11-22T020000Z']);
  assert.deepEqual(expiredSnapshots(snapshots, { daily: 1, weekly: 0, monthly: 0 }, new Set(['2026-10-01T030000Z'])), snapshots.slice(1, 5));
});

const ping: Ping = {
  event: 'fail',
  exitCode: 41,
  time: '2026-11-22T03:05:00.000Z',
  runId: 'run-1',
  node: 'odroid',
  message: 'odroid: FAILED (41)',
  body: 'line 1\nline 2',
};

test('pingRequest: each monitor style as its server expects; a late ping carries its original time', () => {
  const hc = pingRequest({ style: 'healthchecks', url: 'https://hc.example/ping/uuid', method: 'POST' }, ping, false);
  assert.deepEqual([hc.method, hc.url, hc.body], ['POST', 'https://hc.example/ping/uuid/41?rid=run-1', 'odroid: FAILED (41)\nline 1\nline 2']);
  const late = pingRequest({ style: 'healthchecks', url: 'https://hc.example/ping/uuid', method: 'POST' }, ping, true);
  assert.equal(late.url, 'https://hc.example/ping/uuid/log?rid=run-1');
  assert.equal(late.headers?.['x-odbackup-original-time'], ping.time);
  const kuma = pingRequest({ style: 'uptime-kuma', url: 'https://kuma.example/api/push/token', method: 'GET' }, ping, false);
  assert.equal(kuma.url, 'https://kuma.example/api/push/token?status=down&msg=odroid%3A+FAILED+%2841%29&ping=');
  const template = pingRequest({ style: 'template', url: 'https://status.example/odroidm1_{event}?code={code}', method: 'GET' }, ping, false);
  assert.equal(template.url, 'https://status.example/odroidm1_fail?code=41');
  const byHand = pingRequest({ style: 'healthchecks', url: 'https://hc.example/ping/uuid', method: 'POST' }, { ...ping, runId: undefined }, false);
  assert.equal(byHand.url, 'https://hc.example/ping/uuid/41', 'a ping sent by hand carries no run id');
});

test('fitBody: the head whole, the newest lines of the tail, and how many were cut between them', () => {
  const tail = Array.from({ length: 50 }, (_, index) => `log line ${index + 1}`).join('\n');
  const body = fitBody('odroid: FAILED (41) source unreachable — sync db: the source directory /x does not exist', tail, 200);
  assert.ok(Buffer.byteLength(body) <= 200, `${Buffer.byteLength(body)} bytes`);
  const lines = body.split('\n');
  assert.equal(lines[0], 'odroid: FAILED (41) source unreachable — sync db: the source directory /x does not exist');
  assert.match(lines[1]!, /^\[… (\d+) older lines cut\]$/);
  assert.equal(lines.at(-1), 'log line 50');
  assert.equal(Number(/(\d+)/.exec(lines[1]!)![1]) + lines.length - 2, 50, 'every line is either shown or counted');
  assert.equal(fitBody('short', 'a\nb', 100), 'short\na\nb', 'what fits is sent whole');
  assert.equal(fitBody('ééé', 'tail', 5), 'éé', 'a head over the limit is cut on a character boundary');
  const late = pingRequest({ style: 'healthchecks', url: 'https://hc.example/ping/uuid', method: 'POST' }, { ...ping, body: tail }, true, 300);
  assert.match(late.body!, /^late: fail \(exit 41\) of 2026-11-22T03:05:00.000Z, queued while the monitor was unreachable\nodroid: FAILED \(41\)\n\[… \d+ older lines cut\]\n/);
});

test('wakeReason: first run, the RTC alarm with its drift, a wake before the alarm, a second pass by hand', () => {
  const root = mkdtempSync(join(tmpdir(), 'odbackup-wake-'));
  const config = { system: { root }, suspend: { rtc: 'rtc0' }, schedule: { wakeToleranceMinutes: 30 } } as Config;
  const alarmFile = join(root, 'sys/class/rtc/rtc0/wakealarm');
  const sleepLog = join(root, 'sleep.log');
  assert.equal(wakeReason(config, { version: 1, passes: [] }, new Date('2026-11-23T01:00:00Z'), sleepLog).reason, 'first-run');
  const armed: State = { version: 1, passes: [], power: { scheduledWake: '2026-11-23T01:00:00.000Z', mode: 'suspend', armedAt: '2026-11-22T01:10:00.000Z' } };
  const rtc = wakeReason(config, armed, new Date('2026-11-23T01:00:07Z'), sleepLog);
  assert.deepEqual([rtc.reason, rtc.driftSeconds], ['rtc-alarm', 7]);
  writeFileSync(sleepLog, `wake ${Date.parse('2026-11-23T01:00:02Z') / 1000} suspend\n`);
  assert.equal(wakeReason(config, armed, new Date('2026-11-23T01:00:30Z'), sleepLog).driftSeconds, 2, 'the sleep hook knows when it woke');
  mkdirSync(join(root, 'sys/class/rtc/rtc0'), { recursive: true });
  writeFileSync(alarmFile, `${Date.parse('2026-11-23T01:00:00Z') / 1000}\n`);
  assert.equal(wakeReason(config, armed, new Date('2026-11-22T20:00:00Z'), sleepLog).reason, 'manual', 'woken while the alarm is still set');
  const seen = { ...armed, power: { ...armed.power!, wakeSeenAt: '2026-11-23T01:00:10.000Z' } };
  assert.match(wakeReason(config, seen, new Date('2026-11-23T02:00:00Z'), sleepLog).message, /already handled/);
  // The pass of 01:00 was cut off, and the kernel booted at 03:10: the power went and came back, nobody is there.
  const cutOff: State = { ...seen, current: { runId: 'r', pid: 1, startedAt: '2026-11-23T01:00:10.000Z', outcome: 'running', warnings: [], steps: [] } };
  mkdirSync(join(root, 'proc'));
  writeFileSync(join(root, 'proc/stat'), `cpu  1 2 3\nbtime ${Date.parse('2026-11-23T03:10:00Z') / 1000}\nprocesses 99\n`);
  const restored = wakeReason(config, cutOff, new Date('2026-11-23T03:11:00Z'), sleepLog);
  assert.deepEqual([restored.reason, restored.message], ['power-restored', 'power came back: booted at 2026-11-23T03:10:00.000Z, after the pass of 2026-11-23T01:00:10.000Z was cut off']);
  writeFileSync(join(root, 'proc/stat'), `btime ${Date.parse('2026-11-20T00:00:00Z') / 1000}\n`);
  assert.equal(wakeReason(config, cutOff, new Date('2026-11-23T03:11:00Z'), sleepLog).reason, 'manual', 'killed, not a power cut: no boot since');
});

test('lookupManifest finds every name of a large manifest by halving, escaped and byte names too, and nothing else', () => {
  const names: string[] = [];
  for (let d = 0; d < 40; d++) for (let f = 0; f < 500; f++) names.push(`d${d}/f${f}.bin`);
  names.push('a b/with\nnewline', 'caf\xe9.txt', 'z/back\\slash', 'd1/f1.bin.old');
  names.sort(comparePaths);
  const hashOf = (index: number) => (index * 2654435761).toString(16).padStart(16, '0').slice(-16);
  const dir = mkdtempSync(join(tmpdir(), 'lookup-'));
  const manifest = join(dir, 'm.xxh64');
  writeFileSync(manifest, Buffer.from(names.map((name, index) => formatEntry({ hash: hashOf(index), name })).join(''), 'latin1'));
  assert.equal([...readManifest(manifest)].length, names.length);
  names.forEach((name, index) => {
    if (index % 97 === 0 || !/^d\d/.test(name)) assert.equal(lookupManifest(manifest, name), hashOf(index), name);
  });
  for (const missing of ['d1/f1', 'd39/f500.bin', '0', 'zz', 'd1/f1.bin/x', 'a b']) assert.equal(lookupManifest(manifest, missing), undefined, missing);
});

test('pathInSnapshot: relative paths only; .. absolute and NUL refused; \\xNN typed back to bytes', () => {
  assert.equal(pathInSnapshot('./drawings/jim/'), 'drawings/jim');
  assert.equal(pathInSnapshot('caf\\xe9.txt'), 'caf\xe9.txt');
  assert.equal(pathInSnapshot('café.txt'), 'caf\xc3\xa9.txt');
  for (const bad of ['../etc', 'a/../../b', '/etc/passwd', 'a\0b', 'a\\x00b', '', 'a//b', '.'])
    assert.throws(
      () => pathInSnapshot(bad),
      (error: Error & { codeName?: string }) => error.codeName === 'usage',
      JSON.stringify(bad),
    );
});

test('exec hands on a line at a carriage return as it arrives (rsync progress is live); what the handler throws stops the program and is thrown', async () => {
  const seen: { line: string; at: number }[] = [];
  const started = Date.now();
  const result = await exec('sh', ['-c', 'printf " 10%%\\r"; sleep 1; printf " 55%%\\r"; sleep 1; printf "100%%\\n>f+++++++++ 3 a.txt"'], {
    timeout: 10_000,
    onStdoutLine: (line) => seen.push({ line, at: Date.now() - started }),
  });
  assert.equal(result.exitCode, 0);
  assert.deepEqual(
    seen.map((entry) => entry.line),
    [' 10%', ' 55%', '100%', '>f+++++++++ 3 a.txt'],
  );
  assert.ok(seen[0]!.at < 900, `the first progress line came before the program went on (${seen[0]!.at} ms)`);

  const handled: string[] = [];
  const stopping = Date.now();
  await assert.rejects(
    exec('sh', ['-c', 'echo one; sleep 30; echo two'], {
      timeout: 60_000,
      onStdoutLine: (line) => {
        handled.push(line);
        throw new Error('the transfer list could not be written');
      },
    }),
    /the transfer list could not be written/,
  );
  assert.deepEqual(handled, ['one']);
  assert.ok(Date.now() - stopping < 20_000, 'the program was stopped, not waited for');
});

test('screenFor: every line of every screen fits the board (18 characters at scale 2, 12 at scale 3), broken between words', () => {
  const facts: ScreenFacts = {
    node: 'odroidm1',
    now: new Date('2026-11-22T15:40:00Z'),
    address: '192.168.100.200',
    network: { internet: 'FAIL', ssh: 'FAIL' },
    failure: { code: '41', what: 'sync images: the source directory /srv/exports/images does not exist' },
    warnings: 12,
    restored: 3,
    wake: new Date('2026-11-23T03:00:00Z'),
  };
  for (const name of SCREENS) {
    for (const text of [undefined, 'a rather long message that goes on and on past the edge']) {
      const screen = screenFor(facts, name, text);
      assert.ok(screen.state.length <= STATE_CHARS, `${name}: state "${screen.state}"`);
      assert.ok(screen.lines.length <= 4, `${name}: ${screen.lines.length} lines`);
      for (const line of screen.lines) assert.ok(line.length <= LINE_CHARS, `${name}: "${line}"`);
    }
  }
  assert.deepEqual(screenFor(facts, 'failed').lines.slice(0, 2), ['sync images: the', 'source directory..'], 'what does not fit is marked as cut');
  assert.equal(screenFor(facts, 'ready').lines[0], '12 warn 3 restored');
  assert.equal(screenFor({ ...facts, warnings: 0, restored: 2 }, 'ready').lines[0], '2 restored');
  assert.equal(screenFor({ ...facts, warnings: 0, restored: 0 }, 'ready').lines[0], 'SLEEPING...');
  assert.deepEqual(wrapWords('see /a/very/long/path/that/is/one/word', 18, 3), ['see', '/a/very/long/path/', 'that/is/one/word']);
  assert.deepEqual(wrapWords('photos-of-the-school-trip-2026 failed', 18, 1), ['photos-of-the-sc..'], 'a cut is marked');
  assert.equal(screenFor({ ...facts, warnings: 0, restored: 1, away: 3 }, 'ready').lines[0], '3 away, 1 restored');
  assert.equal(screenFor({ ...facts, warnings: 0, restored: 0, away: 5 }, 'ready').lines[0], 'SLEEPING, 5 away');
});

test('requestProblem says what the shipped request.schema.json says, for good and bad requests alike', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'packaging', 'catalog', 'request.schema.json'), 'utf8'));
  const validate = new Ajv({ strict: false }).compile(schema);
  const requests: unknown[] = [
    { source: 'work', path: 'a/b.txt', destination: 'jim-laptop' },
    { source: 'work', path: '.', version: 2, destination: 'jim-laptop', node: 'odroidm1', requestedBy: 'Jim' },
    { source: 'work', path: 'a', version: '0123456789abcdef', destination: 'd' },
    { source: 'work', path: 'a', version: '2026-11-02', destination: 'd' },
    { source: 'work', path: 'a', version: '2026-11-02T030000Z', destination: 'd' },
    { source: 'work', path: 'a', version: 'latest', destination: 'd' },
    { source: 'work', path: 'a', version: 0, destination: 'd' },
    { source: 'work', path: 'a', version: 1.5, destination: 'd' },
    { source: 'work', path: 'a', version: 'yesterday', destination: 'd' },
    { source: 'Work', path: 'a', destination: 'd' },
    { source: 'work', path: '', destination: 'd' },
    { source: 'work', path: 'a', destination: 'd', to: 'mallory@evil:/' },
    { source: 'work', path: 'a' },
    { source: 'work', path: 'a', destination: 'd', requestedBy: 5 },
    [],
    'work',
    null,
  ];
  for (const request of requests) assert.equal(requestProblem(request) === undefined, validate(request), JSON.stringify(request));
});

test('pathMatcher: the one rule of `find` and the page, on the shared table', () => {
  for (const { query, name, matches } of MATCH_TABLE) assert.equal(pathMatcher(query)(name), matches, `${query} ~ ${name}`);
});

test('table: columns line up with names in East Asian scripts (two columns a character on a terminal)', () => {
  const lines = table(['source', 'path', 'size'], [
    ['work', '写真/猫.png', '1 KiB'],
    ['work', 'photos/cat.png', '2 KiB'],
  ]).split('\n');
  const sizeColumn = (line: string) => stringWidth(line.slice(0, line.lastIndexOf('KiB') - 2));
  assert.equal(sizeColumn(lines[1]!), sizeColumn(lines[2]!), lines.join('\n'));
  // What `find '*5*'` finds in a million files: more rows than a call takes arguments.
  const many = table(['path', 'versions'], Array.from({ length: 300_000 }, (_, n) => [`f${n}`, '1']));
  assert.equal(many.split('\n').length, 300_001);
  assert.match(many.split('\n')[1]!, /^f0 {7}1$/, 'f0 padded to f299999');
});
