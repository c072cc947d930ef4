import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fakeClock } from './harness/nights.js';
import { makeExt4 } from './harness/ext4.js';
import { RecordingServer, refusedUrl } from './harness/http.js';
import { isRoot, odbackupAsync, removeDir, ROOT, tempDir, writeConfig, writeFiles } from './helpers.js';

let dir: string;
let internet: RecordingServer;
before(async () => {
  dir = tempDir();
  internet = await RecordingServer.start();
});
after(async () => {
  await internet.stop();
  removeDir(dir);
});

interface Finding {
  check: string;
  level: string;
  code?: string;
  message: string;
}

interface NodeOptions {
  celsius?: number;
  synchronised?: boolean;
  /** smartctl's recorded output and exit status; with waitFor, it answers only once that file exists (5 s at most). */
  smart?: { fixture: string; exit: number; waitFor?: string };
  /** Other programs of system.programs (a recording systemctl). */
  programs?: Record<string, string>;
  extra?: Record<string, unknown>;
}

let counter = 0;
/**
 * A node whose /sys and /run live in a test root (thermal zone, timesyncd's flag file) and whose smartctl prints a
 * recorded JSON document with its exit status, the way smartctl 7.3 does.
 */
function node({ celsius = 45, synchronised = true, smart, programs: more = {}, extra = {} }: NodeOptions = {}) {
  const home = join(dir, `node-${++counter}`);
  const root = join(home, 'root');
  writeFiles(root, {
    'sys/class/thermal/thermal_zone0/temp': `${Math.round(celsius * 1000)}\n`,
    'sys/class/thermal/thermal_zone0/type': 'soc-thermal\n',
    'sys/class/thermal/thermal_zone1/temp': '38000\n',
    'sys/class/thermal/thermal_zone1/type': 'gpu-thermal\n',
  });
  if (synchronised) writeFiles(root, { 'run/systemd/timesync/synchronized': '' });
  const programs: Record<string, string> = { ...more };
  if (smart) {
    const script = join(home, 'smartctl');
    const wait = smart.waitFor
      ? `i=0; while [ ! -e "${smart.waitFor}" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done\n[ -e "${smart.waitFor}" ] || exit 2\n`
      : '';
    writeFileSync(
      script,
      `#!/bin/sh\necho "$@" > "${home}/smartctl.args"\n${wait}cat "${join(ROOT, 'test/fixtures/smartctl', smart.fixture)}"\nexit ${smart.exit}\n`,
    );
    chmodSync(script, 0o755);
    programs.smartctl = script;
  }
  writeFiles(join(home, 'src'), { 'a.txt': 'a' });
  const config = writeConfig(home, [{ name: 'db', group: 'databases', from: join(home, 'src') }], {
    system: { root, programs },
    check: { internetUrl: internet.url('/generate_204'), ...(smart ? { smartDevice: '/dev/sda' } : {}) },
    ...extra,
  });
  return { home, root, config };
}

async function check(config: string, env: Record<string, string> = {}, prefix: string[] = []) {
  const run = await odbackupAsync(['-c', config, '--json', 'check'], env, prefix);
  const result = JSON.parse(run.stdout) as { exitCode: number; data: Finding[]; message: string };
  const finding = (name: string) => result.data.filter((item) => item.check === name);
  return { status: run.status, result, finding, stderr: run.stderr };
}

test('a healthy node: every check ok, with what the operator wants to know', async () => {
  const { config } = node({ smart: { fixture: 'samsung-sm843t-sata-ssd.json', exit: 0 } });
  const { status, finding } = await check(config);
  assert.equal(status, 0);
  assert.deepEqual(finding('temperature'), [{ check: 'temperature', level: 'ok', message: 'soc-thermal 45.0 °C' }]);
  assert.equal(finding('smart')[0]!.level, 'ok');
  assert.equal(finding('smart')[0]!.message, '/dev/sda: PASSED (SAMSUNG MZ7WD240HAFV-00003, 27 °C, reallocated 0, pending 0, wear 9%)');
  assert.deepEqual(finding('clock'), [{ check: 'clock', level: 'ok', message: 'synchronised (NTP)' }]);
  assert.equal(finding('internet')[0]!.level, 'ok');
  assert.equal(finding('ssh')[0]!.level, 'info');
});

test('a node that sleeps needs rtcwake and hwclock: a missing one is named with the Debian package that has it', async () => {
  const present = node({ extra: { suspend: { mode: 'suspend' } } });
  const ok = await check(present.config);
  assert.deepEqual(ok.finding('sleep programs'), [{ check: 'sleep programs', level: 'ok', message: 'rtcwake and hwclock are installed' }]);
  const missing = node({ programs: { hwclock: '/usr/sbin/no-such-hwclock' }, extra: { suspend: { mode: 'suspend' } } });
  const warned = await check(missing.config);
  assert.equal(warned.status, 0);
  assert.deepEqual(warned.finding('sleep programs'), [
    {
      check: 'sleep programs',
      level: 'warning',
      code: 'alarmNotSet',
      message: '/usr/sbin/no-such-hwclock is not installed (apt-get install util-linux-extra): the RTC is not set from the system clock before the node sleeps',
    },
  ]);
});

test('SMART (recorded real disks): a failing disk is 11; reallocated sectors behind a RAID are a warning, judged by attributes; smartctl gets --json -a', async () => {
  const failing = node({ smart: { fixture: 'hitachi-hdd-failing-usb-jmicron.json', exit: 216 } });
  const bad = await check(failing.config);
  assert.equal(bad.status, 11);
  assert.equal(
    bad.finding('smart')[0]!.message,
    '/dev/sda: DISK FAILING (smartctl exit status 216; overall health FAILED, Reallocated_Sector_Ct at its threshold now, the device error log has 56 errors, ' +
      'the self-test log has 3 failed tests, 1975 reallocated sectors, 8 sectors pending reallocation, Hitachi HDS721050DLE630, 25 °C, reallocated 1975, pending 8)',
  );
  assert.equal(readFileSync(join(failing.home, 'smartctl.args'), 'utf8').trim(), '--json -a /dev/sda');

  const worn = node({ smart: { fixture: 'wd-re-hdd-reallocated-behind-megaraid.json', exit: 4 } });
  const warned = await check(worn.config);
  assert.equal(warned.status, 0);
  const levels = warned.finding('smart').map((item) => `${item.level}: ${item.message}`);
  assert.deepEqual(levels, [
    'ok: /dev/sda: PASSED (WD4000FYYX, 36 °C, reallocated 387, pending 0); health from attributes: a SMART command failed (Warning: This result is based on an Attribute check.)',
    'warning: /dev/sda: 387 reallocated sectors',
  ]);
});

test('the slow checks run at once: the internet is asked while smartctl is still reading the disk', async () => {
  const asked = join(dir, 'internet-asked');
  const { config } = node({ smart: { fixture: 'samsung-sm843t-sata-ssd.json', exit: 0, waitFor: asked } });
  const before = internet.requests.length;
  const watch = setInterval(() => internet.requests.length > before && writeFileSync(asked, ''), 10);
  try {
    const { status, finding } = await check(config);
    assert.equal(status, 0);
    // One after the other, smartctl would have waited in vain for the internet check and failed (a warning).
    assert.equal(finding('smart')[0]!.level, 'ok', finding('smart')[0]!.message);
    assert.equal(finding('internet')[0]!.level, 'ok');
  } finally {
    clearInterval(watch);
  }
});

test('temperature: over the warning level is a warning, over the limit stops the pass (14)', async () => {
  const warm = await check(node({ celsius: 78 }).config);
  assert.equal(warm.status, 0);
  assert.equal(warm.finding('temperature')[0]!.level, 'warning');
  const hot = await check(node({ celsius: 91.5 }).config);
  assert.equal(hot.status, 14);
  assert.equal(hot.finding('temperature')[0]!.message, 'soc-thermal 91.5 °C, limit 85 °C');
});

test('clock: a reset RTC (faketime) or a clock earlier than the last run is 15, and sync names no snapshot from it', async () => {
  const { config, home } = node({ synchronised: false });
  const reset = await check(config, fakeClock('2020-01-01 00:00:00'));
  assert.equal(reset.status, 15);
  assert.match(reset.finding('clock')[0]!.message, /^clock 2020-01-01T00:00:0\d\.\d+Z is before 2026-01-01: RTC reset\?/);

  const pass = await odbackupAsync(['-c', config, 'cycle']);
  assert.equal(pass.status, 0, pass.stderr);
  const now = await check(config);
  assert.equal(now.status, 0);
  assert.match(now.finding('clock')[0]!.message, /^not NTP-synchronised, but not earlier than the last run/);

  const behind = await check(config, fakeClock('-2d'));
  assert.equal(behind.status, 15);
  assert.match(behind.finding('clock')[0]!.message, /is earlier than the last recorded run/);
  const sync = await odbackupAsync(['-c', config, 'sync'], fakeClock('-2d'));
  assert.equal(sync.status, 15);
  assert.match(sync.stderr, /no snapshot is named from this clock/);
  assert.deepEqual(readFileSync(join(home, 'store', 'db', 'latest', 'a.txt'), 'utf8'), 'a');
});

test('clock: after a pass with the clock a year ahead, today looks like it went back (15) until the operator runs `clock accept`', async () => {
  const { config } = node({ synchronised: false });
  const ahead = await odbackupAsync(['-c', config, 'cycle'], fakeClock('+365d'));
  assert.equal(ahead.status, 0, ahead.stderr);
  const today = await odbackupAsync(['-c', config, 'cycle']);
  assert.equal(today.status, 15);
  const show = await odbackupAsync(['-c', config, 'clock']);
  assert.equal(show.status, 15);
  assert.match(show.stderr, /is earlier than the last recorded run .*\n  hint: if the time is right now, `odbackup clock accept`/);
  const accept = await odbackupAsync(['-c', config, 'clock', 'accept']);
  assert.equal(accept.status, 0, accept.stderr);
  assert.match(accept.stdout, /accepted: 1 pass recorded while the clock was ahead no longer counts?/);
  assert.equal((await odbackupAsync(['-c', config, 'cycle'])).status, 0);
});

test('internet: no answer is warning 20, or fatal when internetRequired', async () => {
  const url = await refusedUrl('/generate_204');
  const optional = await check(node({ extra: { check: { internetUrl: url } } }).config);
  assert.equal(optional.status, 0);
  assert.deepEqual(
    optional.finding('internet').map((item) => [item.level, item.code, item.message]),
    [['warning', 'networkDown', `127.0.0.1:${new URL(url).port}: connection refused`]],
  );
  const required = await check(node({ extra: { check: { internetUrl: url, internetRequired: true } } }).config);
  assert.equal(required.status, 20);
});

test(
  'storage on a real ext4 loop device: found by LABEL, free space before and after mounting, warning 13 when the last pass may not fit, 10 when gone',
  { skip: !isRoot() && 'needs root for loop devices' },
  async () => {
    const disk = makeExt4(join(dir, 'disk'), 64, 'odb-check');
    try {
      const { config, home } = node({ extra: { storage: { path: disk.mountPoint, device: 'LABEL=odb-check' } } });
      const unmounted = await check(config);
      assert.equal(unmounted.status, 0, unmounted.stderr);
      assert.equal(unmounted.finding('storage')[0]!.message, `LABEL=odb-check is ${disk.device}, not mounted`);
      const freeUnmounted = unmounted.finding('free space')[0]!.message;
      assert.match(freeUnmounted, /^\d+(\.\d)? MiB free; the last pass wrote 0 B/);
      // The real smartctl cannot ask a loop device: health unknown is a warning, never a pass.
      const smart = unmounted.finding('smart')[0]!;
      assert.equal(smart.level, 'warning');
      assert.match(smart.message, new RegExp(`^${disk.device}: health could not be read: .*Unable to detect device type`));

      disk.mount('ro');
      const mounted = await check(config);
      assert.equal(mounted.finding('storage')[0]!.message, `LABEL=odb-check is ${disk.device}, mounted ro at ${disk.mountPoint}`);
      assert.match(mounted.finding('free space')[0]!.message, /^\d+(\.\d)? MiB free/);
      disk.unmount();

      // The last pass wrote 1 GiB: a 64 MiB disk cannot take the next one.
      mkdirSync(join(home, 'state'), { recursive: true });
      writeFileSync(
        join(home, 'state', 'state.json'),
        JSON.stringify({
          version: 1,
          passes: [],
          sources: {
            db: { snapshot: 'x', runId: 'r', pulledAt: '2026-11-21T03:00:00Z', promoted: true, added: 1, changed: 0, bytes: 1024 ** 3, transferredList: '' },
          },
        }),
      );
      const full = await check(config);
      assert.equal(full.status, 0, 'a pass that may not fit makes room: it is not refused');
      assert.equal(full.finding('free space')[0]!.level, 'warning');
      assert.match(full.finding('free space')[0]!.message, /the last pass wrote 1\.0 GiB: the next pass may not fit; the oldest snapshots will make room/);
    } finally {
      disk.destroy();
    }
    const gone = await check(node({ extra: { storage: { path: join(dir, 'nowhere'), device: 'LABEL=odb-check' } } }).config);
    assert.equal(gone.status, 10);
    assert.equal(gone.finding('smart').length, 0, 'no SMART question for a disk that is not there');
  },
);

test('check as a human reads it: a table, and one line naming the failure', async () => {
  const { config } = node({ celsius: 95 });
  const run = await odbackupAsync(['-c', config, 'check']);
  assert.equal(run.status, 14);
  assert.match(run.stdout, /temperature\s+fatal\s+14 overTemperature\s+soc-thermal 95\.0 °C, limit 85 °C/);
  assert.match(run.stderr, /temperature: soc-thermal 95\.0 °C, limit 85 °C/);
});

test('setup: writes the example when there is no configuration, enables the timer only when every check passes', async () => {
  const fresh = join(dir, 'fresh', 'etc', 'odbackup.json');
  const first = await odbackupAsync(['-c', fresh, 'setup']);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /wrote .*odbackup\.json from the example: set node, storage, sources and monitors/);
  assert.equal(statSync(fresh).mode & 0o777, 0o600, 'it will hold secrets');
  assert.equal((await odbackupAsync(['-c', fresh, 'config', 'check'])).status, 0, 'the example is a valid configuration');

  const systemctlNode = (celsius: number) => {
    const calls = join(dir, `systemctl-${celsius}.log`);
    const systemctl = join(dir, `systemctl-${celsius}`);
    writeFileSync(systemctl, `#!/bin/sh\necho "$*" >> "${calls}"\n`);
    chmodSync(systemctl, 0o755);
    const { config } = node({ celsius, programs: { systemctl } });
    return { config, calls };
  };
  const healthy = systemctlNode(45);
  const enabled = await odbackupAsync(['-c', healthy.config, 'setup']);
  assert.equal(enabled.status, 0, enabled.stderr);
  assert.match(enabled.stdout, /config: .*valid[\s\S]*check: [\s\S]*schedule: next wake \d{4}-\d{2}-\d{2} 03:00 [\s\S]*odbackup\.timer enabled/);
  assert.match(readFileSync(healthy.calls, 'utf8'), /\ndaemon-reload\nenable --now odbackup\.timer\n$/);
  // The timer's schedule is the configuration's: written as a drop-in, rewritten when schedule.times changes.
  const healthyRoot = JSON.parse(readFileSync(healthy.config, 'utf8')).system.root;
  const dropIn = join(healthyRoot, 'etc/systemd/system/odbackup.timer.d/odbackup-schedule.conf');
  assert.match(readFileSync(dropIn, 'utf8'), /\[Timer\]\nOnCalendar=\nOnCalendar=\*-\*-\* 03:00:00\n$/);
  // What the pass's sandbox may write, from the configuration too: the state directory and the store.
  const healthyDocument = JSON.parse(readFileSync(healthy.config, 'utf8'));
  const pathsDropIn = join(healthyRoot, 'etc/systemd/system/odbackup.service.d/odbackup-paths.conf');
  assert.equal(
    readFileSync(pathsDropIn, 'utf8').split('\n').filter((line) => line.startsWith('ReadWritePaths=')).join('\n'),
    [`ReadWritePaths="-${healthyDocument.stateDir}"`, `ReadWritePaths="-${healthyDocument.storage.path}"`].join('\n'),
  );
  const again = await odbackupAsync(['-c', healthy.config, 'setup']);
  assert.equal(again.status, 0);
  assert.doesNotMatch(again.stdout, /written/, 'an unchanged schedule is left alone');
  const document = JSON.parse(readFileSync(healthy.config, 'utf8'));
  const restored = join(dir, 'restored 100% "here"');
  writeFileSync(
    healthy.config,
    JSON.stringify({ ...document, schedule: { ...document.schedule, times: ['02:15', '14:15'] }, restore: { destinations: { desk: restored, laptop: 'jim@laptop:/home/jim' } } }),
  );
  const changed = await odbackupAsync(['-c', healthy.config, 'setup']);
  assert.equal(changed.status, 0, changed.stderr);
  assert.match(changed.stdout, /odbackup\.timer: schedule 02:15, 14:15 \(.*odbackup-schedule\.conf written\)/);
  assert.match(changed.stdout, /odbackup\.service: the paths the pass writes \(.*odbackup-paths\.conf written\)/);
  // A local destination is opened (quoted for systemd: no specifier, no word split); a remote one is not a path here.
  const paths = readFileSync(pathsDropIn, 'utf8');
  assert.ok(paths.endsWith(`\nReadWritePaths="-${restored.replace('%', '%%').replace(/"/g, '\\"')}"\n`), paths);
  assert.doesNotMatch(paths, /laptop/);
  assert.match(readFileSync(dropIn, 'utf8'), /OnCalendar=\nOnCalendar=\*-\*-\* 02:15:00\nOnCalendar=\*-\*-\* 14:15:00\n$/);
  assert.match(readFileSync(healthy.calls, 'utf8'), /daemon-reload\nenable --now odbackup\.timer\n$/);

  const hot = systemctlNode(95);
  const refused = await odbackupAsync(['-c', hot.config, 'setup']);
  assert.equal(refused.status, 14, refused.stderr);
  assert.match(refused.stderr, /setup stopped at `odbackup check`: .*odbackup\.timer is not enabled/);
  assert.doesNotMatch(readFileSync(hot.calls, 'utf8'), /enable/, 'the timer was not enabled');
});
