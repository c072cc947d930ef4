import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fakeClock } from './harness/nights.js';
import { nextWake } from '../src/power/schedule.js';
import { fakes } from './harness/programs.js';
import { odbackupAsync, removeDir, ROOT, tempDir, waitFor, writeConfig, writeFiles } from './helpers.js';

let dir: string;
before(() => {
  dir = tempDir();
});
after(() => removeDir(dir));

let counter = 0;
function node(suspend: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const home = join(dir, `node-${++counter}`);
  const root = join(home, 'root');
  writeFiles(root, { 'sys/class/rtc/rtc0/wakealarm': '', 'run/systemd/timesync/synchronized': '' });
  writeFiles(join(home, 'src'), { 'dump.sql': 'select 1;\n' });
  const programs = fakes(home, root);
  const config = writeConfig(home, [{ name: 'db', group: 'databases', from: join(home, 'src') }], {
    system: { root, programs },
    suspend,
    schedule: { times: ['03:30'], networkSettleSeconds: 0 },
    ...extra,
  });
  const calls = () => (existsSync(join(home, 'calls.log')) ? readFileSync(join(home, 'calls.log'), 'utf8').trim().split('\n').map((line) => line.trimEnd()) : []);
  const alarm = () => readFileSync(join(root, 'sys/class/rtc/rtc0/wakealarm'), 'utf8').trim();
  return { home, root, config, calls, alarm, programs };
}

/** odbackup at a chosen local time in Helsinki (faketime sets the clock, TZ the zone). */
function at(time: string, args: string[]) {
  return odbackupAsync(args, { TZ: 'Europe/Helsinki', ...fakeClock(time) });
}

const epoch = (iso: string) => String(Date.parse(iso) / 1000);

test('next wake: the next scheduled local time, a margin away, across both DST nights (Helsinki, New York)', () => {
  const saved = process.env.TZ;
  try {
    process.env.TZ = 'Europe/Helsinki';
    // Spring forward 2026-03-29 03:00 EET → 04:00 EEST: 03:30 does not exist and is taken as 04:30 EEST.
    assert.equal(nextWake(['03:30'], new Date('2026-03-28T12:00:00Z'), 30).toISOString(), '2026-03-29T01:30:00.000Z');
    assert.equal(nextWake(['03:30'], new Date('2026-03-29T12:00:00Z'), 30).toISOString(), '2026-03-30T00:30:00.000Z');
    // Fall back 2026-10-25 04:00 EEST → 03:00 EET: 03:30 happens twice and is taken the first time.
    assert.equal(nextWake(['03:30'], new Date('2026-10-24T12:00:00Z'), 30).toISOString(), '2026-10-25T00:30:00.000Z');
    assert.equal(nextWake(['03:00'], new Date('2026-11-22T12:00:00Z'), 30).toISOString(), '2026-11-23T01:00:00.000Z');
    // No alarm minutes ahead: 20 min before 03:00 the next wake is tomorrow's.
    assert.equal(nextWake(['03:00'], new Date('2026-11-22T00:40:00Z'), 30).toISOString(), '2026-11-23T01:00:00.000Z');
    assert.equal(nextWake(['03:00', '15:00'], new Date('2026-11-22T02:00:00Z'), 30).toISOString(), '2026-11-22T13:00:00.000Z');
    process.env.TZ = 'America/New_York';
    // Spring forward 2026-03-08 02:00 EST → 03:00 EDT; fall back 2026-11-01 02:00 EDT → 01:00 EST.
    assert.equal(nextWake(['02:30'], new Date('2026-03-07T17:00:00Z'), 30).toISOString(), '2026-03-08T07:30:00.000Z');
    assert.equal(nextWake(['01:30'], new Date('2026-10-31T17:00:00Z'), 30).toISOString(), '2026-11-01T05:30:00.000Z');
    assert.equal(nextWake(['01:30'], new Date('2026-11-01T12:00:00Z'), 30).toISOString(), '2026-11-02T06:30:00.000Z');
  } finally {
    process.env.TZ = saved;
  }
});

test('suspend (default mode): RTC set from the clock, rtcwake -m no, alarm read back, systemctl suspend; the wake is stored', async () => {
  const n = node({ mode: 'suspend' });
  const run = await at('2026-03-28 12:00:00', ['-c', n.config, 'suspend']);
  assert.equal(run.status, 0, run.stderr);
  const wake = epoch('2026-03-29T01:30:00Z');
  assert.deepEqual(n.calls(), ['hwclock --systohc', `rtcwake -m no -d rtc0 -t ${wake}`, 'systemctl suspend']);
  assert.equal(n.alarm(), wake);
  const state = JSON.parse(readFileSync(join(n.home, 'state', 'state.json'), 'utf8')) as { power: { scheduledWake: string; mode: string } };
  assert.equal(state.power.scheduledWake, '2026-03-29T01:30:00.000Z');
  assert.match(run.stdout, /alarm armed for 2026-03-29 04:30 EEST/);
});

test('suspend modes mem and poweroff run their exact command sequences; --dry-run prints them and runs nothing', async () => {
  const wake = epoch('2026-10-25T00:30:00Z');
  const mem = node({ mode: 'mem' });
  assert.equal((await at('2026-10-24 15:00:00', ['-c', mem.config, 'suspend'])).status, 0);
  assert.deepEqual(mem.calls(), ['hwclock --systohc', `rtcwake -m no -d rtc0 -t ${wake}`, `rtcwake -m mem -d rtc0 -t ${wake}`]);

  const off = node({ mode: 'poweroff' });
  writeFileSync(join(off.root, 'sys/class/rtc/rtc0/wakealarm'), '1700000000\n');
  assert.equal((await at('2026-10-24 15:00:00', ['-c', off.config, 'suspend'])).status, 0);
  assert.deepEqual(off.calls(), ['hwclock --systohc', `rtcwake -m no -d rtc0 -t ${wake}`, 'poweroff', 'shutdown: SIGTERM']);
  assert.equal(off.alarm(), wake, 'the alarm set over the one armed before');

  const dry = node({ mode: 'poweroff' });
  const printed = await at('2026-10-24 15:00:00', ['-c', dry.config, 'suspend', '--dry-run']);
  assert.equal(printed.status, 0);
  assert.deepEqual(dry.calls(), []);
  const alarmFile = join(dry.root, 'sys/class/rtc/rtc0/wakealarm');
  assert.equal(
    printed.stdout.trim(),
    [
      'would wake at 2026-10-25 03:30 EEST (2026-10-25T00:30:00.000Z):',
      `  ${dry.programs.hwclock} --systohc`,
      `  ${dry.programs.rtcwake} -m no -d rtc0 -t ${wake}`,
      `  read ${alarmFile} (expect ${wake})`,
      `  ${dry.programs.poweroff}`,
    ].join('\n'),
  );
});

test('an alarm that cannot be set or reads back empty is 70 and the node does not sleep; a failing suspend is 71', async () => {
  const refused = node({ mode: 'suspend' });
  writeFileSync(join(refused.home, 'rtc-not-wakeup'), '');
  const notWakeup = await at('2026-11-22 12:00:00', ['-c', refused.config, 'suspend']);
  assert.equal(notWakeup.status, 70);
  assert.match(notWakeup.stderr, /wake alarm for 2026-11-23 03:30 EET .* not set: rtcwake: \/dev\/rtc0 not enabled for wakeup events; not sleeping/);
  assert.ok(!refused.calls().includes('systemctl suspend'));

  const empty = node({ mode: 'mem' });
  writeFileSync(join(empty.home, 'alarm-empty'), '');
  const unarmed = await at('2026-11-22 12:00:00', ['-c', empty.config, 'suspend']);
  assert.equal(unarmed.status, 70);
  assert.match(unarmed.stderr, /wake alarm reads back empty: not armed; not sleeping/);
  assert.equal(empty.calls().filter((call) => call.includes('-m mem')).length, 0);

  const broken = node({ mode: 'suspend' });
  writeFileSync(join(broken.home, 'suspend-fails'), '');
  const failedSuspend = await at('2026-11-22 12:00:00', ['-c', broken.config, 'suspend']);
  assert.equal(failedSuspend.status, 71);
  assert.match(failedSuspend.stderr, /systemctl suspend: Failed to suspend system via logind/);
});

test('an untrusted clock is not written to the RTC', async () => {
  const n = node({ mode: 'suspend' });
  rmSync(join(n.root, 'run/systemd/timesync/synchronized'));
  const run = await at('2025-06-01 12:00:00', ['-c', n.config, 'suspend']);
  assert.equal(run.status, 0, run.stderr);
  assert.ok(!n.calls().includes('hwclock --systohc'));
  assert.match(run.stderr, /the system clock is not trusted: the RTC is not set from it/);
});

interface PassJson {
  exitCode: number;
  data: { wake: { reason: string; message: string; driftSeconds?: number }; steps: { step: string; status: string; message: string }[]; notDue?: string };
}

test('wake reason: first run, then the RTC alarm (with drift), then a manual wake that enters maintenance', async () => {
  const n = node({ mode: 'suspend' }, { maintenance: { checkMinutes: 0.02 } });
  const first = JSON.parse((await at('2026-11-22 12:00:00', ['-c', n.config, '--json', 'cycle'])).stdout) as PassJson;
  assert.equal(first.exitCode, 0);
  assert.equal(first.data.wake.reason, 'first-run');
  assert.equal(first.data.steps.at(-1)!.step, 'suspend');
  assert.equal(n.alarm(), epoch('2026-11-23T01:30:00Z'));

  // The alarm fired (the kernel clears it) and the node woke 7 s late.
  writeFileSync(join(n.root, 'sys/class/rtc/rtc0/wakealarm'), '');
  const rtc = JSON.parse((await at('2026-11-23 03:30:07', ['-c', n.config, '--json', 'cycle'])).stdout) as PassJson;
  assert.equal(rtc.data.wake.reason, 'rtc-alarm');
  // faketime's clock starts with the process; node's start-up adds a second or two.
  assert.ok(rtc.data.wake.driftSeconds! >= 7 && rtc.data.wake.driftSeconds! <= 15, `drift ${rtc.data.wake.driftSeconds}`);
  assert.equal(rtc.data.steps.find((step) => step.step === 'maintenance')!.status, 'skipped');
  const status = await at('2026-11-23 04:00:00', ['-c', n.config, 'status']);
  assert.match(status.stdout, /woke: woken by the RTC alarm, drift \+\d+ s/);
  assert.match(status.stdout, /next wake: 2026-11-24 03:30 EET/);

  // Power button at noon: the alarm for tomorrow is still armed.
  const manual = JSON.parse((await at('2026-11-23 12:00:00', ['-c', n.config, '--json', 'cycle'])).stdout) as PassJson;
  assert.equal(manual.data.wake.reason, 'manual');
  assert.match(manual.data.wake.message, /woken before the alarm \(power button or reboot\)/);
  assert.equal(manual.data.steps.find((step) => step.step === 'maintenance')!.status, 'ok');
});

test('poweroff mode: the pass waits for the SIGTERM of the shutdown it asked for, which stops nothing: completed, its unit exits 0', async () => {
  const n = node({ mode: 'poweroff' });
  const pass = await at('2026-11-22 12:00:00', ['-c', n.config, '--json', 'cycle']);
  assert.deepEqual([pass.status, pass.signal], [0, null], pass.stderr);
  const result = JSON.parse(pass.stdout) as PassJson & { data: { outcome: string } };
  assert.deepEqual([result.exitCode, result.data.outcome, result.data.steps.at(-1)!.status], [0, 'completed', 'ok']);
  // Still there when the shutdown stopped its unit: not killed while exiting.
  assert.deepEqual(n.calls().slice(-2), ['poweroff', 'shutdown: SIGTERM']);
  const state = JSON.parse(readFileSync(join(n.home, 'state', 'state.json'), 'utf8')) as { passes: { outcome: string; exitCode: number }[] };
  assert.deepEqual([state.passes[0]!.outcome, state.passes[0]!.exitCode], ['completed', 0]);
});

test('maintenance: ssh started, awake while a user session exists, then ssh stopped and the node sleeps', async () => {
  const n = node({ mode: 'suspend' }, { maintenance: { checkMinutes: 0.02 } });
  writeFileSync(join(n.home, 'sessions'), '7 alice user\n3 gdm greeter\n');
  const pass = odbackupAsync(['-c', n.config, 'maintenance'], { TZ: 'Europe/Helsinki' });
  await waitFor(() => n.calls().filter((call) => call === 'loginctl list-sessions --no-legend --no-pager').length >= 2, 'two looks at the sessions');
  rmSync(join(n.home, 'sessions')); // alice logs out
  const run = await pass;
  assert.equal(run.status, 0, run.stderr);
  assert.match(
    run.stdout,
    /maintenance \(asked on the command line\) ended after \d+ checks: no user logged in; logged in were alice; ssh\.service started and stopped again/,
  );
  const calls = n.calls();
  assert.equal(calls[0], 'systemctl is-active ssh.service');
  assert.equal(calls[1], 'systemctl start ssh.service');
  assert.ok(calls.includes('loginctl show-session 7 --property=Class --property=Name --property=Remote --property=State --no-pager'));
  assert.equal(calls.at(-1), 'systemctl stop ssh.service');
});

test('maintenance where ssh is not installed: 22, saying it could not be started, and nothing stopped', async () => {
  const n = node({ mode: 'suspend' }, { maintenance: { checkMinutes: 0.02 } });
  writeFileSync(join(n.home, 'no-such-unit'), '');
  const run = await odbackupAsync(['-c', n.config, 'maintenance']);
  assert.equal(run.status, 22, run.stderr);
  assert.match(run.stderr, /ssh\.service was not running and could not be started; systemctl start ssh\.service: Failed to start ssh\.service: Unit ssh\.service not found\./);
  assert.doesNotMatch(run.stdout + run.stderr, /started and stopped again/);
  assert.ok(!n.calls().includes('systemctl stop ssh.service'), 'what was not started is not stopped');
});

test('maintenance run by hand: the first Ctrl-C ends it, and ssh goes back to how it was', { timeout: 30_000 }, async () => {
  const n = node({ mode: 'suspend' }, { maintenance: { checkMinutes: 0.02 } });
  writeFileSync(join(n.home, 'sessions'), '7 alice user\n');
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'odbackup.js'), '-c', n.config, 'maintenance'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await waitFor(() => n.calls().filter((call) => call.startsWith('loginctl list-sessions')).length >= 1, 'a first look at the sessions');
  child.kill('SIGINT');
  assert.equal(await exited, 130, 'one SIGINT was enough');
  assert.equal(n.calls().at(-1), 'systemctl stop ssh.service');
});

test('cycle --if-due: the timer and cron both firing make one pass; the second does no data steps', async () => {
  const n = node({ mode: 'suspend' }, { maintenance: { checkMinutes: 0.02 } });
  const first = JSON.parse((await at('2026-11-22 03:31:00', ['-c', n.config, '--json', 'cycle', '--if-due'])).stdout) as PassJson;
  assert.equal(first.exitCode, 0);
  assert.ok(first.data.steps.some((step) => step.step === 'sync databases'));
  const second = JSON.parse((await at('2026-11-22 03:35:00', ['-c', n.config, '--json', 'cycle', '--if-due'])).stdout) as PassJson;
  assert.match(second.data.notDue!, /^the pass of this slot already completed \(started 2026-11-22T01:31:0/);
  // Started while the alarm is armed, so it counts as started by hand: maintenance, then sleep.
  assert.deepEqual(
    second.data.steps.map((step) => step.step),
    ['maintenance', 'display', 'suspend'],
  );
  // After a day missed (the node was off), the next start does the pass once.
  const catchUp = JSON.parse((await at('2026-11-24 09:00:00', ['-c', n.config, '--json', 'cycle', '--if-due'])).stdout) as PassJson;
  assert.ok(catchUp.data.steps.some((step) => step.step === 'sync databases'));
});

test('shipped units pass systemd-analyze verify; the sleep hook and the cron file parse', () => {
  const root = join(dir, 'sysroot');
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
  mkdirSync(join(root, 'etc/systemd'), { recursive: true });
  cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  cpSync(join(ROOT, 'packaging/systemd'), join(root, 'etc/systemd/system'), { recursive: true });
  writeFileSync(join(root, 'usr/bin/odbackup'), '#!/bin/sh\n');
  chmodSync(join(root, 'usr/bin/odbackup'), 0o755);
  // Documentation=man:odbackup(1) is checked by mandoc -Tlint, not by looking it up in the installed manual.
  const verify = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, 'odbackup.service', 'odbackup.timer'], { encoding: 'utf8' });
  assert.equal(verify.status, 0, verify.stderr);
  assert.equal(
    verify.stderr
      .split('\n')
      .filter((line) => line.includes('odbackup'))
      .join('\n'),
    '',
    'no warnings about our units',
  );

  assert.equal(spawnSync('sh', ['-n', join(ROOT, 'packaging/system-sleep/odbackup')]).status, 0);
  const lines = readFileSync(join(ROOT, 'packaging/cron/odbackup'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'));
  // Where systemd runs, the timer and the sleep hook start the pass: a cron line does nothing there.
  const fallbackOnly = (command: string) => {
    assert.match(command, /^\[ -d \/run\/systemd\/system \] \|\| .*odbackup -q cycle --if-due;? ?\}?$/, command);
    assert.equal(spawnSync('sh', ['-n', '-c', command]).status, 0, command);
  };
  const field = (value: string, min: number, max: number) =>
    value === '*' || value.split(',').every((part) => /^\d+$/.test(part) && Number(part) >= min && Number(part) <= max);
  // The timer and cron start the pass with the same node options, and node takes them from NODE_OPTIONS.
  const unitOptions = /^Environment=NODE_OPTIONS=(.*)$/m.exec(readFileSync(join(ROOT, 'packaging/systemd/odbackup.service'), 'utf8'))?.[1];
  assert.ok(unitOptions, 'the unit sets NODE_OPTIONS');
  assert.ok(lines.includes(`NODE_OPTIONS=${unitOptions}`), 'cron sets the same NODE_OPTIONS');
  const withOptions = spawnSync(process.execPath, ['-e', '0'], { env: { ...process.env, NODE_OPTIONS: unitOptions }, encoding: 'utf8' });
  assert.equal(withOptions.status, 0, withOptions.stderr);
  for (const line of lines) {
    if (/^[A-Z_]+=/.test(line)) continue;
    const parts = line.trim().split(/\s+/);
    if (parts[0]!.startsWith('@')) {
      assert.ok(['@reboot', '@daily', '@hourly'].includes(parts[0]!), line);
      assert.equal(parts[1], 'root', line);
      fallbackOnly(parts.slice(2).join(' '));
      continue;
    }
    const [minute, hour, day, month, weekday, user] = parts as [string, string, string, string, string, string];
    assert.ok(field(minute, 0, 59) && field(hour, 0, 23) && field(day, 1, 31) && field(month, 1, 12) && field(weekday, 0, 7), line);
    assert.equal(user, 'root', line);
    fallbackOnly(parts.slice(6).join(' '));
  }
});
