import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fakeClock } from './harness/nights.js';
import pngjs from 'pngjs';
import { SerialPort } from 'serialport';
import { closeSerial, openSerial } from '../src/adapters/serial.js';
import { showOnBadger } from '../src/display/badger.js';
import { BoardError, RawRepl, ReplError } from '../src/display/raw-repl.js';
import { startBadger, type EmulatedBadger as Badger } from './harness/badger.js';
import { fakes } from './harness/programs.js';
import { odbackupAsync, removeDir, ROOT, sleep, tempDir, writeConfig, writeFiles } from './helpers.js';

/**
 * The e-ink over a real serial device: socat's pty pair, serialport on odbackup's end, and on the other end the
 * Badger emulator running what it receives in real MicroPython.
 */
let dir: string;
let counter = 0;
before(() => {
  dir = tempDir();
  writeFiles(join(dir, 'src'), { 'a.txt': 'a' });
});
/** Every emulator started: a test that fails before its own stop() leaves none running (the file would never end). */
const running: Badger[] = [];
after(async () => {
  await Promise.all(running.map((badger) => badger.stop()));
  removeDir(dir);
});

/** A node whose display is the given port (or anything else in `display`). */
function nodeConfig(display: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const home = join(dir, `node-${++counter}`);
  return writeConfig(home, [{ name: 'db', group: 'databases', from: join(dir, 'src') }], { node: 'odroidm1', display, ...extra });
}

const run = (config: string, args: string[]) => odbackupAsync(['-c', config, ...args], { TZ: 'UTC', ...fakeClock('2026-11-22 15:40:00') });
const pixels = (png: Buffer | undefined) => pngjs.PNG.sync.read(png ?? Buffer.alloc(0)).data;
async function emulator(name: string, options: Parameters<typeof startBadger>[1] = {}, at = join(dir, name)): Promise<Badger> {
  mkdirSync(at, { recursive: true });
  const badger = await startBadger(at, options);
  running.push(badger);
  return badger;
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = Date.now();
  const result = await work();
  return [result, Date.now() - start];
}

/** The port is free again: an exclusive open succeeds. */
async function assertReleased(port: string): Promise<void> {
  const again = await openSerial(port);
  await closeSerial(again);
}

test("the emulator answers the raw-paste example of MicroPython's docs byte for byte", async () => {
  const badger = await emulator('docs-example');
  const port = new SerialPort({ path: badger.port, baudRate: 115200 });
  let received = Buffer.alloc(0);
  port.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  await new Promise((resolve) => port.on('open', resolve));
  await sleep(300);
  assert.match(received.toString(), /MicroPython v1\.23\.0.*\r\nType "help\(\)" for more information\.\r\n>>> $/s);
  received = Buffer.alloc(0);
  port.write('\x01\x05A\x01print(123)\x04');
  const expected = '\r\nraw REPL; CTRL-B to exit\r\n>R\x01\x80\x00\x01\x04123\r\n\x04\x04>';
  for (let i = 0; i < 50 && received.length < expected.length; i++) await sleep(50);
  assert.equal(received.toString('latin1'), expected);
  await new Promise((resolve) => port.close(resolve));
  await badger.stop();
});

test('raw REPL: output comes back, a traceback becomes an error that carries it, a soft reset gives a clean interpreter', async () => {
  const badger = await emulator('repl');
  const port = await openSerial(badger.port);
  try {
    const repl = new RawRepl(port, Date.now() + 15_000);
    await repl.enter();
    assert.deepEqual(await repl.exec('x = 6 * 7\nprint(x)'), { stdout: '42\r\n', mode: 'raw-paste' });
    await assert.rejects(repl.exec('1/0'), (error: BoardError) => error instanceof BoardError && /ZeroDivisionError: divide by zero/.test(error.traceback));
    await repl.softReset();
    await assert.rejects(repl.exec('print(x)'), (error: BoardError) => /NameError: name 'x' isn't defined/.test(error.traceback));
    await repl.leave();
  } finally {
    await closeSerial(port);
  }
  assert.ok(badger.events().includes('soft reset'));
  await badger.stop();
});

test('every screen over the serial port, both APIs: the board draws what the preview draws, and the golden PNG', async () => {
  const screens: string[][] = [
    ['start'],
    ['failed', '--code', '40', '--text', 'sync images'],
    ['ready'],
    ['maintenance'],
    ['message', '--text', 'BACKUP READY'],
  ];
  for (const api of ['new', 'old'] as const) {
    const badger = await emulator(`screens-${api}`, { api });
    const config = nodeConfig({ port: badger.port });
    for (const args of screens) {
      const shown = await run(config, ['display', ...args]);
      assert.equal(shown.status, 0, shown.stderr);
      assert.match(shown.stdout, new RegExp(`shown on the Badger at ${badger.port}`));
      const preview = join(dir, `preview-${api}-${args[0]}.png`);
      assert.equal((await run(config, ['display', ...args, '--api', api, '--preview', preview])).status, 0);
      assert.ok(pixels(badger.screen()).equals(pixels(readFileSync(preview))), `${api}/${args[0]}: the Badger shows the preview's pixels`);
    }
    const golden = readFileSync(join(ROOT, 'test', 'golden', 'message-backup-ready.png'));
    assert.ok(pixels(badger.screen()).equals(pixels(golden)), `${api}: the message screen is the golden PNG`);
    assert.equal(badger.events().filter((event) => event === 'update').length, screens.length);
    await badger.stop();
  }
});

test('display install: our main.py replaces the launcher (kept), and a power-up redraws the last status', async () => {
  let badger = await emulator('install', { main: 'launcher' });
  const config = nodeConfig({ port: badger.port });
  const installed = await run(config, ['display', 'install']);
  assert.equal(installed.status, 0, installed.stderr);
  assert.match(installed.stdout, /the main\.py that was there is kept as main_badgeros\.py/);
  assert.match(badger.flash('main_badgeros.py') ?? '', /display\.halt\(\)/);
  assert.equal(badger.flash('main.py'), readFileSync(join(ROOT, 'packaging', 'badger', 'main.py'), 'utf8'));
  const again = await run(config, ['display', 'install']);
  assert.doesNotMatch(again.stdout, /kept/, 'a second install keeps the launcher saved the first time');
  assert.match(badger.flash('main_badgeros.py') ?? '', /display\.halt\(\)/);

  assert.equal((await run(config, ['display', 'ready'])).status, 0);
  const ready = badger.screen();
  assert.deepEqual(JSON.parse(badger.flash('odbackup_status.json') ?? '{}').state, 'BACKUP READY');
  assert.ok(!badger.events().includes('overflow'), 'raw-paste kept within the window the board granted');
  // Three soft resets from the raw REPL, and main.py ran only at power-up (REFERENCE §1.1).
  assert.equal(badger.events().filter((event) => event === 'soft reset').length, 3);
  assert.equal(badger.events().filter((event) => event === 'main.py').length, 1);
  await badger.stop();

  // The Odroid slept, its USB power dropped; now the Badger starts again and runs main.py by itself.
  badger = await emulator('', {}, badger.dir);
  for (let i = 0; i < 100 && !badger.screen(); i++) await sleep(50);
  assert.deepEqual(badger.events(), ['power-up', 'main.py', 'update']);
  assert.ok(pixels(badger.screen()).equals(pixels(ready)), 'the power-up screen is the last status, not the launcher');
  await badger.stop();
});

test('a button held during "display start" asks for maintenance; cycle enters it and shows the maintenance screen', async () => {
  const badger = await emulator('button', { held: ['A'] });
  const home = join(dir, 'button-node');
  const root = join(home, 'root');
  writeFiles(root, { 'run/systemd/timesync/synchronized': '' });
  const config = nodeConfig({ port: badger.port }, { system: { root, programs: fakes(home, root) }, maintenance: { checkMinutes: 0.01 } });
  const start = await run(config, ['--json', 'display', 'start']);
  assert.equal(start.status, 0, start.stderr);
  const result = JSON.parse(start.stdout) as { maintenanceRequest?: string; data: { held: string[] } };
  assert.equal(result.maintenanceRequest, 'button A held on the Badger');
  assert.deepEqual(result.data.held, ['A']);

  const pass = await run(config, ['cycle', '--only', 'display start', 'maintenance', 'display']);
  assert.equal(pass.status, 0, pass.stderr);
  assert.match(pass.stdout, /maintenance +ok +maintenance \(button A held on the Badger\) ended after 1 check: no user logged in/);
  // start (by hand), then the pass's start, maintenance and final screens
  assert.equal(badger.events().filter((event) => event === 'update').length, 4);
  await badger.stop();
});

test('faults with an answer: busy main.py is interrupted, old firmware gets plain raw mode, a 5 s refresh is waited for', async () => {
  const cases = [
    { name: 'busy', options: { main: 'launcher' as const }, events: ['main.py', 'interrupt', 'update'] },
    { name: 'old-firmware', options: { firmware: 'old' as const }, events: ['exec raw 3'] },
    { name: 'slow', options: { refreshMs: 5000 }, events: ['update'] },
  ];
  for (const { name, options, events } of cases) {
    const badger = await emulator(name, options);
    const [shown, ms] = await timed(() => run(nodeConfig({ port: badger.port }), ['display', 'ready']));
    assert.equal(shown.status, 0, `${name}: ${shown.stderr}`);
    for (const event of events)
      assert.ok(
        badger.events().some((line) => line.startsWith(event)),
        `${name}: ${event} in ${badger.events().join(', ')}`,
      );
    if (name === 'old-firmware') assert.ok(!badger.events().includes('raw-paste'));
    if (name === 'slow') assert.ok(ms >= 5000, 'the refresh was waited for');
    await badger.stop();
  }
});

test('faults without an answer: deaf to Ctrl-C, not a MicroPython board, unplugged mid-write → 60 in bounded time, port released', async () => {
  const deaf = await emulator('deaf', { main: 'deaf' });
  const [refused, deafMs] = await timed(() => run(nodeConfig({ port: deaf.port }), ['display', 'start']));
  assert.equal(refused.status, 60, refused.stderr);
  assert.match(refused.stderr, /no raw REPL prompt after 3 tries of Ctrl-C: a program on the Badger ignores Ctrl-C/);
  assert.ok(deafMs < 17_000, `gave up after ${deafMs} ms (display.timeoutSeconds is 15)`);
  await assertReleased(deaf.port);
  await deaf.stop();

  // In this process: the conversation fails, the port is closed by the time the error arrives.
  const chatty = await emulator('nmea', { firmware: 'nmea' });
  await assert.rejects(showOnBadger(chatty.port, 5_000, { node: 'n', time: 't', state: 'S', lines: [] }), (error: ReplError) =>
    error.received.toString().includes('$GPGGA'),
  );
  await assertReleased(chatty.port);
  const [garbage, garbageMs] = await timed(() => run(nodeConfig({ port: chatty.port }), ['display', 'start']));
  assert.equal(garbage.status, 60);
  assert.match(garbage.stderr, /received: ".*\$GPGGA/);
  assert.ok(garbageMs < 17_000);
  await chatty.stop();

  const pulled = await emulator('unplug', { unplugAfter: 500 });
  const [unplugged, unpluggedMs] = await timed(() => run(nodeConfig({ port: pulled.port }), ['display', 'ready']));
  assert.equal(unplugged.status, 60);
  assert.match(unplugged.stderr, /the port closed \(unplugged\?\)/);
  assert.ok(unpluggedMs < 5_000, `noticed after ${unpluggedMs} ms`);
  await pulled.exited;
});

test('finding the port: by-id link under system.root, none plugged in, a missing path, a port another program holds', async () => {
  const badger = await emulator('find');
  const root = join(dir, 'find-root');
  const byId = join(root, 'dev/serial/by-id');
  mkdirSync(byId, { recursive: true });
  const link = join(byId, 'usb-MicroPython_Board_in_FS_mode_e6614c311b7e6f35-if00');
  symlinkSync(badger.port, link);
  const found = await run(nodeConfig({ port: 'auto' }, { system: { root } }), ['display', 'start']);
  assert.equal(found.status, 0, found.stderr);
  assert.match(found.stdout, new RegExp(`shown on the Badger at ${link}`));

  const none = await run(nodeConfig({ port: 'auto' }, { system: { root: join(dir, 'empty-root') } }), ['display', 'start']);
  assert.equal(none.status, 60);
  assert.match(none.stderr, /no Badger 2040 found: no \/dev\/serial\/by-id\/usb-MicroPython_\*/);

  const missing = await run(nodeConfig({ port: join(dir, 'gone', 'ttyACM0') }), ['display', 'start']);
  assert.equal(missing.status, 60);
  assert.match(missing.stderr, /gone\/ttyACM0: cannot open .*No such file or directory/);

  const holder = await openSerial(badger.port);
  const busy = await run(nodeConfig({ port: badger.port }), ['display', 'start']);
  await closeSerial(holder);
  assert.equal(busy.status, 60);
  assert.match(busy.stderr, /is in use by another program/);
  await badger.stop();
});

test('cycle: start screen first, final screen last; with the display unplugged the pass completes with warning 60', async () => {
  const badger = await emulator('cycle');
  const pass = await run(nodeConfig({ port: badger.port }), ['cycle']);
  assert.equal(pass.status, 0, pass.stderr);
  assert.match(pass.stdout, /^display start +ok +START shown on the Badger/m);
  assert.match(pass.stdout, /^display +ok +BACKUP READY shown on the Badger/m);
  assert.equal(badger.events().filter((event) => event === 'update').length, 2);
  assert.equal(JSON.parse(badger.flash('odbackup_status.json') ?? '{}').state, 'BACKUP READY');
  await badger.stop();

  const unplugged = await run(nodeConfig({ port: join(dir, 'unplugged', 'ttyACM0') }), ['cycle']);
  assert.equal(unplugged.status, 0, unplugged.stderr);
  assert.match(unplugged.stdout, /completed: exit 0/);
  assert.equal(unplugged.stdout.match(/^display (start )? +warning +60 displayUnreachable +/gm)?.length, 2, unplugged.stdout);
  assert.equal(unplugged.stderr.match(/^warning 60: display/gm)?.length, 2, `each warning said once: ${unplugged.stderr}`);
});
