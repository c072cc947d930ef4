import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { updateDocs } from '../src/docs.js';
import { codeTable, EXIT_CODES } from '../src/exit-codes.js';
import { stepsNeeded } from '../src/cli.js';
import { loadSteps, STEP_NAMES } from '../src/registry.js';
import { BIN, odbackup, ROOT } from './helpers.js';

test('--help lists every registered step and the exit codes, and exits 0', () => {
  const result = odbackup(['--help']);
  assert.equal(result.status, 0);
  for (const name of STEP_NAMES) assert.match(result.stdout, new RegExp(`^  ${name}\\b`, 'm'), name);
  for (const row of codeTable()) assert.ok(result.stdout.includes(`${String(row.code).padStart(3)}  ${row.meaning}`), `code ${row.code} in --help`);
});

test('each registered name loads the step of that name; a command line loads only its own step', async () => {
  assert.deepEqual(
    (await loadSteps()).map((step) => step.name),
    STEP_NAMES,
  );
  assert.deepEqual(stepsNeeded(['-c', 'restore', '--json', 'status', '--last', '3']), ['status'], 'a config file named like a step is not the command');
  assert.deepEqual(stepsNeeded(['--version']), []);
  assert.deepEqual(stepsNeeded(['--help']), STEP_NAMES);
  assert.deepEqual(stepsNeeded(['frobnicate']), STEP_NAMES);
  const status = odbackup(['status', '--help']);
  assert.equal(status.status, 0);
  assert.match(status.stdout, /Usage: odbackup status/);
});

test('--version exits 0; an unknown command or option exits 2', () => {
  assert.equal(odbackup(['--version']).status, 0);
  const unknown = odbackup(['frobnicate']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  assert.equal(odbackup(['codes', '--bogus']).status, 2);
  assert.equal(odbackup(['config', 'sideways']).status, 2);
});

test('codes prints the one table, as text and as JSON', () => {
  const json = odbackup(['--json', 'codes']);
  assert.equal(json.status, 0);
  assert.deepEqual(JSON.parse(json.stdout).data, codeTable());
  const text = odbackup(['codes']);
  assert.match(text.stdout, /^60\s+displayUnreachable\s+warning\s+display not reachable/m);
  assert.equal(text.stdout.trim().split('\n').length, Object.keys(EXIT_CODES).length + 1);
});

test('colour only where it can show: on a terminal or with FORCE_COLOR, never with NO_COLOR or in a pipe', () => {
  const bold = '\x1b[1m';
  const run = (env: Record<string, string | undefined>, terminal: boolean) => {
    // An operator's shell names its terminal; CI machines often set TERM=dumb or CI, which turn colour off.
    const environment = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined, TERM: 'xterm-256color', ...env };
    // script(1) gives the command a pseudo-terminal, as an operator's shell would.
    const [file, args] = terminal ? ['script', ['-qec', `"${process.execPath}" "${BIN}" codes`, '/dev/null']] : [process.execPath, [BIN, 'codes']];
    const result = spawnSync(file as string, args as string[], { encoding: 'utf8', env: environment });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /displayUnreachable/);
    return result.stdout.includes(bold);
  };
  assert.equal(run({}, true), true, 'a terminal shows colour');
  assert.equal(run({}, false), false, 'a pipe gets plain text');
  assert.equal(run({ NO_COLOR: '1' }, true), false, 'NO_COLOR turns it off on a terminal');
  assert.equal(run({ FORCE_COLOR: '1' }, false), true, 'FORCE_COLOR turns it on in a pipe');
});

test("a command runs from the program's bundle, --version from the modules (the build made the bundle)", () => {
  // NODE_DEBUG=esm names every module node loads.
  const loaded = (args: string[]) => {
    const run = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NODE_DEBUG: 'esm' } });
    assert.equal(run.status, 0, run.stderr);
    return [...run.stderr.matchAll(/dist\/src\/([\w.-]+\.js)/g)].map(([, file]) => file);
  };
  const command = loaded(['codes']);
  assert.ok(command.includes('odbackup.bundle.js') && !command.includes('registry.js'), command.join(' '));
  const version = loaded(['--version']);
  assert.ok(version.includes('cli.js') && !version.includes('odbackup.bundle.js'), version.join(' '));
});

test('exit code numbers are unique', () => {
  const numbers = codeTable().map((row) => row.code);
  assert.equal(new Set(numbers).size, numbers.length);
});

test('README and man page tables are generated from the code (npm run docs)', async () => {
  assert.deepEqual(await updateDocs(ROOT, false), [], 'run `npm run docs`');
});

test('the man pages are clean under mandoc -Tlint', () => {
  const lint = spawnSync('mandoc', ['-Tlint', '-W', 'warning', `${ROOT}/man/odbackup.1`, `${ROOT}/man/odbackup.json.5`], { encoding: 'utf8' });
  assert.equal(lint.error, undefined, 'mandoc must be installed');
  assert.equal(lint.stdout + lint.stderr, '');
  assert.equal(lint.status, 0);
});

test('a reader that stops early (`--help | head -1`) ends the output quietly: no EPIPE stack', () => {
  const result = spawnSync('sh', ['-c', `"${process.execPath}" "${ROOT}/bin/odbackup.js" --help | head -1`], { encoding: 'utf8' });
  assert.equal(result.stdout, 'Usage: odbackup [options] [command]\n');
  assert.doesNotMatch(result.stderr, /EPIPE|Error/);
});

test('priority prefixes only when stderr is the journal (JOURNAL_STREAM names it), never in a pipe or cron mail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'journal-'));
  const config = join(dir, 'bad.json');
  writeFileSync(config, '{"node": "x"}');
  const stderrOf = (env: (path: string) => Record<string, string>) => {
    const path = join(dir, `stderr-${Math.random()}`);
    const fd = openSync(path, 'w');
    const stats = fstatSync(fd);
    spawnSync(process.execPath, [BIN, '--config', config, 'status'], {
      stdio: ['ignore', 'ignore', fd],
      env: { ...process.env, NO_COLOR: '1', ...env(`${stats.dev}:${stats.ino}`) },
    });
    closeSync(fd);
    return readFileSync(path, 'utf8');
  };
  const journal = stderrOf((id) => ({ JOURNAL_STREAM: id }));
  assert.match(journal, /^<3>odbackup status: .*bad\.json: \d+ problems? in the configuration/m);
  assert.ok(
    journal
      .split('\n')
      .filter(Boolean)
      .every((line) => /^<\d>/.test(line)),
    journal,
  );
  const piped = stderrOf(() => ({ JOURNAL_STREAM: '1:2' }));
  assert.match(piped, /^odbackup status: /m);
  assert.doesNotMatch(piped, /<\d>/);
});

test('on a terminal rsync progress is shown live, and cleared before the result is printed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'progress-'));
  const source = join(dir, 'source');
  mkdirSync(source);
  writeFileSync(join(source, 'big.img'), Buffer.alloc(6 * 1024 * 1024, 7));
  const config = join(dir, 'odbackup.json');
  writeFileSync(
    config,
    JSON.stringify({
      node: 'tty',
      stateDir: join(dir, 'state'),
      storage: { path: join(dir, 'store') },
      sources: [{ name: 'img', group: 'images', from: source, bwlimit: '3m' }],
    }),
  );
  mkdirSync(join(dir, 'store'));
  // script(1) gives the command a pseudo-terminal, as an operator's shell would.
  const run = spawnSync('script', ['-qec', `"${process.execPath}" "${BIN}" -c "${config}" sync`, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.equal(run.status, 0, run.stdout);
  const progress = run.stdout.indexOf('img: ');
  const cleared = run.stdout.lastIndexOf('\r\x1b[K');
  const result = run.stdout.indexOf('1 source: transferred 1 file');
  assert.ok(/\d+%/.test(run.stdout), 'rsync progress was shown');
  assert.ok(progress >= 0 && cleared > progress && result > cleared, 'the progress line is cleared before the result');
});

test("the Quick start: after the demo's second run a newcomer sees the hard links (snapshots, diff), and no wake alarm is news", () => {
  // The demo in a copy of the project's layout: its configuration's relative paths, the repository's program.
  const copy = mkdtempSync(join(tmpdir(), 'demo-'));
  for (const folder of ['scripts', 'examples', 'dist']) mkdirSync(join(copy, folder));
  for (const file of ['scripts/demo.js', 'examples/demo.json']) writeFileSync(join(copy, file), readFileSync(join(ROOT, file)));
  for (const linked of ['bin', 'node_modules', 'packaging']) symlinkSync(join(ROOT, linked), join(copy, linked));
  symlinkSync(join(ROOT, 'dist', 'src'), join(copy, 'dist', 'src'));
  const demo = () => spawnSync(process.execPath, [join(copy, 'scripts', 'demo.js')], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const first = demo();
  assert.equal(first.status, 0, first.stdout + first.stderr);
  assert.match(first.stdout, /Run it again: the second pass hard-links everything unchanged/);
  const second = demo();
  assert.equal(second.status, 0, second.stdout + second.stderr);
  assert.doesNotMatch(second.stderr, /first run: no wake alarm/);
  const cli = (...args: string[]) => odbackup(['--config', join(copy, 'examples', 'demo.json'), ...args]);
  const snapshots = cli('snapshots', 'photos').stdout.split('\n').filter((line) => /^photos +\d{4}-/.test(line));
  assert.equal(snapshots.length, 2, 'both snapshots stay');
  assert.match(snapshots[0]!, / 0 B +latest/, 'the newer one added nothing: every file is a hard link');
  assert.match(cli('diff', 'photos').stdout, /0 added, 0 removed, 0 changed/);
  rmSync(copy, { recursive: true, force: true });
});
