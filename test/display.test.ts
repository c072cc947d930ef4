import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fakeClock } from './harness/nights.js';
import pngjs from 'pngjs';
import { odbackupAsync, removeDir, ROOT, tempDir, writeConfig, writeFiles } from './helpers.js';

let dir: string;
let config: string;
before(() => {
  dir = tempDir();
  writeFiles(join(dir, 'src'), { 'a.txt': 'a' });
  config = writeConfig(dir, [{ name: 'db', group: 'databases', from: join(dir, 'src') }], { node: 'odroidm1' });
});
after(() => removeDir(dir));

const WIDTH = 296;
const HEIGHT = 128;
/** The rows of the large state line (scale 3 at y = 22). */
const STATE_ROWS = [22, 46] as const;

interface Screen {
  black(x: number, y: number): boolean;
  rows(from: number, to: number): string;
}

async function draw(args: string[], api = 'new', env: Record<string, string> = {}): Promise<Screen & { png: Buffer }> {
  const file = join(dir, `screen-${args.join('-').replace(/[^a-z0-9-]/gi, '')}-${api}.png`);
  const run = await odbackupAsync(['-c', config, 'display', ...args, '--api', api, '--preview', file], { TZ: 'UTC', ...fakeClock('2026-11-22 15:40:00'), ...env });
  assert.equal(run.status, 0, run.stderr);
  const png = readFileSync(file);
  const image = pngjs.PNG.sync.read(png);
  assert.equal(image.width, WIDTH);
  assert.equal(image.height, HEIGHT);
  const black = (x: number, y: number) => image.data[(y * WIDTH + x) * 4] === 0;
  const rows = (from: number, to: number) => {
    const lines: string[] = [];
    for (let y = from; y < to; y++) lines.push(Array.from({ length: WIDTH }, (_, x) => (black(x, y) ? '#' : '.')).join(''));
    return lines.join('\n');
  };
  return { black, rows, png };
}

const inked = (screen: Screen, from: number, to: number) => (screen.rows(from, to).match(/#/g) ?? []).length;

test('every screen with both badger2040 APIs: node bar, a state line that says what it should, detail lines', async () => {
  const cases: [string[], string][] = [
    [['start'], 'START'],
    [['failed', '--code', '40', '--text', 'sync images'], 'FAILED (40)'],
    [['ready'], 'BACKUP READY'],
    [['maintenance'], 'MAINTENANCE'],
  ];
  for (const [args, state] of cases) {
    // The same state drawn alone as a message: its pixels are what the state line must be.
    const expected = await draw(['message', '--text', state]);
    for (const api of ['old', 'new']) {
      const screen = await draw(args, api);
      assert.ok(inked(screen, 2, 14) > 2000, `${args[0]}/${api}: the black top bar with the node name`);
      assert.ok(inked(screen, 22, 46) > 200, `${args[0]}/${api}: the state line is not blank`);
      assert.equal(screen.rows(...STATE_ROWS), expected.rows(...STATE_ROWS), `${args[0]}/${api}: the state line reads ${state}`);
      assert.ok(inked(screen, 52, 68) > 100, `${args[0]}/${api}: the first detail line is not blank`);
    }
  }
});

test('the screen matches the golden PNG committed under test/ (both APIs draw the same pixels)', async () => {
  const golden = join(ROOT, 'test', 'golden', 'message-backup-ready.png');
  const newApi = await draw(['message', '--text', 'BACKUP READY']);
  const oldApi = await draw(['message', '--text', 'BACKUP READY'], 'old');
  assert.deepEqual(oldApi.png, newApi.png);
  if (!existsSync(golden) && process.env.UPDATE_GOLDEN) writeFileSync(golden, newApi.png);
  const expected = pngjs.PNG.sync.read(readFileSync(golden));
  const actual = pngjs.PNG.sync.read(newApi.png);
  assert.ok(expected.data.equals(actual.data), 'pixels differ from test/golden/message-backup-ready.png');
});

test('text reaches the board program as a JSON literal: quotes, backslashes and newlines cannot break out', async () => {
  const nasty = 'a"b\\c\')\nimport os\nos.remove("x")';
  const screen = await draw(['failed', '--code', '43', '--text', nasty]);
  assert.ok(inked(screen, 52, 68) > 50, 'the text is drawn, not executed');
});

test('a FAILED screen drawn by hand says where to look in words that fit: no line reaches past its text', async () => {
  const file = join(dir, 'failed-41.png');
  const run = await odbackupAsync(['-c', config, '--json', 'display', 'failed', '--code', '41', '--preview', file]);
  assert.equal(run.status, 0, run.stderr);
  const { lines } = (JSON.parse(run.stdout) as { data: { status: { lines: string[] } } }).data.status;
  assert.deepEqual(lines.slice(0, 2), ['odbackup status', 'has details']);
  const image = pngjs.PNG.sync.read(readFileSync(file));
  lines.forEach((line, index) => {
    // Detail lines are drawn at scale 2 (16 px a character) from x = 4, y = 52 + 18 * index.
    let rightmost = -1;
    for (let y = 52 + 18 * index; y < 68 + 18 * index; y++)
      for (let x = 0; x < WIDTH; x++) if (image.data[(y * WIDTH + x) * 4] === 0) rightmost = Math.max(rightmost, x);
    assert.ok(line.length <= 18, `"${line}" has ${line.length} characters`);
    assert.ok(rightmost < 4 + 16 * line.length, `"${line}": ink at x=${rightmost}, past its ${line.length} characters`);
  });
});

test('by hand, FAILED without --code after a pass that did not fail and a message without --text are refused in words (2), never FAILED (1) or an empty screen', async () => {
  const failed = await odbackupAsync(['-c', config, 'display', 'failed', '--preview', join(dir, 'no-code.png')]);
  assert.equal(failed.status, 2, failed.stderr);
  assert.match(failed.stderr, /the last pass did not fail: give the code to show with --code N/);
  const message = await odbackupAsync(['-c', config, 'display', 'message', '--preview', join(dir, 'no-text.png')]);
  assert.equal(message.status, 2, message.stderr);
  assert.match(message.stderr, /display message needs the words to show: --text/);
  assert.equal(existsSync(join(dir, 'no-code.png')) || existsSync(join(dir, 'no-text.png')), false, 'nothing drawn');
});

test('a preview goes into a folder that does not exist yet; one that cannot be written is 60 in one line', async () => {
  const fresh = join(dir, 'not-yet', 'eink.png');
  const made = await odbackupAsync(['-c', config, 'display', 'ready', '--preview', fresh]);
  assert.equal(made.status, 0, made.stderr);
  assert.ok(existsSync(fresh));
  writeFiles(dir, { 'a-file': 'x' });
  const refused = await odbackupAsync(['-c', config, 'display', 'ready', '--preview', join(dir, 'a-file', 'eink.png')]);
  assert.equal(refused.status, 60);
  assert.match(refused.stderr, /^odbackup display: cannot write the preview .*a-file\/eink\.png: ENOTDIR \[exit 60: displayUnreachable\]$/m);
  assert.doesNotMatch(refused.stderr, /at \w+ \(/, 'no stack');
});
