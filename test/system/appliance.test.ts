// `npm run test:system`: the appliance on a real kernel and systemd. A Debian 13 amd64 guest under QEMU (TCG: no KVM
// here), booted from an image made with mmdebstrap and `mkfs.ext4 -d` (REFERENCE §10), with the amd64 .deb installed
// and the store on a SCSI disk (/dev/sda, as the Odroid's SSD). Nothing here runs `odbackup cycle`: the timer does.
// The guest's own watcher unit records what systemd and the journal say; the host watches QEMU's monitor and pulls
// the store's disk (device_del) to make a pass fail.
// The RTC alarm the pass arms wakes the guest from S3 at the next slot (`-rtc clock=host`: the RTC runs on in S3).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isRoot, ROOT, sleep, tempDir } from '../helpers.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const CACHE = process.env.ODBACKUP_ROOT_CACHE ?? '/var/cache/odbackup-test';
const MIRROR = 'http://deb.debian.org/debian';
const BASE_PACKAGES = 'systemd-sysv,udev,kmod,linux-image-amd64,initramfs-tools,dbus,nodejs,rsync,e2fsprogs,openssh-client,util-linux,util-linux-extra,procps';
/**
 * The guest's clock at each power-on; the slots follow it. QEMU's RTC then runs with the host's clock, through S3
 * too. The first boot's pass is cut off by a power cut; the second boot comes before the second slot.
 */
const FIRST_BOOT = '2027-03-05T02:55:30';
const SECOND_BOOT = '2027-03-05T03:10:30';
/** At slot 3 the RTC wakes the node, whose disk was pulled while it slept: that pass fails. */
const SLOTS = ['02:58', '03:13', '03:17'];
/** Slot 3, in seconds after the second power-on (the guest's RTC runs with the host's clock). */
const SLOT_3_AFTER_BOOT = 6 * 60 + 30;

const have = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
const skip = !isRoot()
  ? 'needs root (mkfs.ext4 -d keeps owners, dpkg --root)'
  : !have('qemu-system-x86_64')
    ? 'needs qemu-system-x86 (apt-get install qemu-system-x86)'
    : !have('mmdebstrap')
      ? 'needs mmdebstrap'
      : false;

const work = tempDir('odbackup-system-');
let qemu: ChildProcess | undefined;
after(() => {
  qemu?.kill('SIGKILL');
  // ODBACKUP_SYSTEM_KEEP=1 keeps the images and the serial log to look at.
  if (!process.env.ODBACKUP_SYSTEM_KEEP) rmSync(work, { recursive: true, force: true });
});

function run(file: string, args: string[], timeout = 600_000) {
  const result = spawnSync(file, args, { encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

function must(file: string, args: string[], timeout?: number): string {
  const result = run(file, args, timeout);
  assert.equal(result.status, 0, `${file} ${args.join(' ')}: ${result.output.slice(-2000)}`);
  return result.output;
}

/** The base system, made once and kept (a download of about 450 MB). */
function baseTarball(): string {
  mkdirSync(CACHE, { recursive: true });
  const tarball = join(CACHE, 'trixie-amd64-vm.tar');
  if (!existsSync(tarball)) {
    must('mmdebstrap', ['--variant=minbase', `--include=${BASE_PACKAGES}`, '--format=tar', 'trixie', `${tarball}.tmp`, MIRROR], 1_800_000);
    must('mv', [`${tarball}.tmp`, tarball]);
  }
  return tarball;
}

function write(root: string, path: string, text: string, mode = 0o644): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
  chmodSync(join(root, path), mode);
}

const GUEST_CONFIG = {
  node: 'vm',
  storage: { path: '/srv/store', device: 'LABEL=odbstore', afterPass: 'ro' },
  // Slow enough that the power can go while rsync copies the large file.
  sources: [{ name: 'files', group: 'files', from: '/srv/source', bwlimit: '1m' }],
  schedule: { times: SLOTS, minMarginMinutes: 1, networkSettleSeconds: 0 },
  suspend: { mode: 'suspend' },
  display: { port: 'none' },
  maintenance: { checkMinutes: 0.1 },
};

/**
 * The watcher: a unit that only looks. Every few seconds it writes what systemd says of odbackup.service and what
 * the journal holds of it into /var/lib/odbackup-test (synced: the host reads the image after a power cut).
 */
const WATCHER = `#!/bin/sh
out=/var/lib/odbackup-test
mkdir -p $out
# The unit's exposure as the running systemd scores it (not --offline).
systemd-analyze security odbackup.service --no-pager > $out/security 2>&1
while :; do
  journalctl -u odbackup.service -o json --no-pager > $out/journal.tmp && mv $out/journal.tmp $out/journal.json
  systemctl is-enabled odbackup.timer > $out/timer 2>&1
  # Tells the host, over the serial line, when the power may go mid-transfer.
  pgrep -x rsync > /dev/null && echo '<5>odbackup-test: rsync is copying' > /dev/kmsg
  journalctl -k -o cat --no-pager | grep -E 'PM: suspend (entry|exit)|Waking up from system sleep state S3' > $out/kernel.tmp && mv $out/kernel.tmp $out/kernel
  sync
  sleep 4
done
`;

/**
 * A sleep hook that only looks: how the store is mounted, as the operator's shell sees it, each time the node goes
 * to sleep (the pass has ended by then: its own suspend step sent the node to sleep).
 */
const AT_SLEEP = `#!/bin/sh
[ "$1" = pre ] || exit 0
mkdir -p /var/lib/odbackup-test
echo "$(findmnt -n -o OPTIONS /srv/store || echo 'not mounted')" >> /var/lib/odbackup-test/store-at-sleep
sync
`;

/** The guest's root filesystem image with the .deb installed, its kernel and initrd, and the store's disk. */
function buildImages(): { rootImage: string; storeImage: string; kernel: string; initrd: string } {
  const rootfs = join(work, 'rootfs');
  mkdirSync(rootfs);
  must('tar', ['-C', rootfs, '-xf', baseTarball()]);
  const deb = join(ROOT, `odbackup_${VERSION}_amd64.deb`);
  assert.ok(existsSync(deb), `${deb}: run \`npm run package\` first`);
  copyFileSync(deb, join(rootfs, 'tmp/odbackup.deb'));
  must('chroot', [rootfs, 'dpkg', '-i', '/tmp/odbackup.deb']);
  write(rootfs, 'etc/fstab', '/dev/vda / ext4 rw 0 1\n');
  write(rootfs, 'etc/hostname', 'vm\n');
  write(rootfs, 'etc/odbackup/odbackup.json', JSON.stringify(GUEST_CONFIG, null, 2), 0o600);
  for (let index = 0; index < 20; index++) write(rootfs, `srv/source/dump-${index}.sql`, `night one, file ${index}\n`.repeat(1000 * (index + 1)));
  write(rootfs, 'srv/source/zz-image.raw', 'disk image block\n'.repeat(3 * 1024 * 1024));
  mkdirSync(join(rootfs, 'srv/store'), { recursive: true });
  write(rootfs, 'usr/local/bin/odbackup-test-watch', WATCHER, 0o755);
  write(rootfs, 'usr/lib/systemd/system-sleep/odbackup-test', AT_SLEEP, 0o755);
  write(
    rootfs,
    'etc/systemd/system/odbackup-test-watch.service',
    '[Unit]\nDescription=odbackup system test: watches, changes nothing\n[Service]\nExecStart=/usr/local/bin/odbackup-test-watch\n[Install]\nWantedBy=multi-user.target\n',
  );
  // The operator's one command after installing: setup checks everything and enables the timer.
  write(
    rootfs,
    'etc/systemd/system/odbackup-test-setup.service',
    '[Unit]\nDescription=odbackup system test: the operator runs odbackup setup\nAfter=multi-user.target\n[Service]\nType=oneshot\nExecStart=/usr/bin/odbackup setup\nStandardOutput=journal+console\n[Install]\nWantedBy=multi-user.target\n',
  );
  for (const unit of ['odbackup-test-watch.service', 'odbackup-test-setup.service']) {
    mkdirSync(join(rootfs, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
    symlinkSync(`/etc/systemd/system/${unit}`, join(rootfs, 'etc/systemd/system/multi-user.target.wants', unit));
  }
  // The serial line is the kernel's and the test's, not a login prompt's.
  symlinkSync('/dev/null', join(rootfs, 'etc/systemd/system/serial-getty@ttyS0.service'));
  const boot = readdirSync(join(rootfs, 'boot'));
  const kernel = join(work, 'vmlinuz');
  const initrd = join(work, 'initrd.img');
  copyFileSync(join(rootfs, 'boot', boot.find((name) => name.startsWith('vmlinuz-'))!), kernel);
  copyFileSync(join(rootfs, 'boot', boot.find((name) => name.startsWith('initrd.img-'))!), initrd);
  const rootImage = join(work, 'root.img');
  must('truncate', ['-s', '3G', rootImage]);
  must('mkfs.ext4', ['-F', '-q', '-d', rootfs, rootImage], 900_000);
  rmSync(rootfs, { recursive: true, force: true });
  const storeImage = join(work, 'store.img');
  must('truncate', ['-s', '512M', storeImage]);
  must('mkfs.ext4', ['-F', '-q', '-L', 'odbstore', storeImage]);
  return { rootImage, storeImage, kernel, initrd };
}

const monitorSocket = join(work, 'monitor.sock');

function monitorCommand(command: string): string {
  const result = spawnSync('socat', ['-t', '2', '-', `UNIX-CONNECT:${monitorSocket}`], { input: `${command}\n`, encoding: 'utf8', timeout: 10_000 });
  return result.stdout ?? '';
}

/** QEMU's view: running, or paused (suspended) while the guest is in S3. */
function vmStatus(): string {
  const answer = /VM status: ([^\r\n]+)/.exec(monitorCommand('info status'));
  return answer ? answer[1]!.trim() : 'unknown';
}

async function waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; serial log:\n${serial().slice(-4000)}`);
    await sleep(2000);
  }
}

const serial = (name = 'serial.log') => (existsSync(join(work, name)) ? readFileSync(join(work, name), 'utf8') : '');

/** A file of the guest's root filesystem, read from the image while QEMU is stopped. */
function guestFile(image: string, path: string): string {
  const read = spawnSync('debugfs', ['-R', `cat ${path}`, image], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(read.status, 0, read.stderr);
  // A file the guest was still writing when it stopped may end in blocks it had not filled: NULs, not text.
  return read.stdout.replace(/\0+/g, '');
}

interface JournalLine {
  MESSAGE: string;
  PRIORITY: string;
  /** On the unit's own lines; systemd's lines about the unit carry INVOCATION_ID. */
  _SYSTEMD_INVOCATION_ID?: string;
  INVOCATION_ID?: string;
  _PID: string;
}

/** One start of odbackup.service as the journal tells it: its lines, and how systemd saw it end. */
interface Invocation {
  lines: JournalLine[];
  errors: string[];
  /** systemd's "Main process exited, …, status=N" (absent when it exited 0). */
  exitStatus?: number;
  succeeded: boolean;
}

function invocations(journal: JournalLine[]): Invocation[] {
  const byId = new Map<string, JournalLine[]>();
  for (const line of journal) {
    const id = line._SYSTEMD_INVOCATION_ID ?? line.INVOCATION_ID;
    if (id) byId.set(id, [...(byId.get(id) ?? []), line]);
  }
  return [...byId.values()].map((lines) => {
    const own = lines.filter((line) => line._PID !== '1');
    const status = lines.map((line) => /Main process exited, code=exited, status=(\d+)/.exec(line.MESSAGE)?.[1]).find(Boolean);
    return {
      lines,
      errors: own.filter((line) => Number(line.PRIORITY) <= 3).map((line) => line.MESSAGE),
      exitStatus: status === undefined ? undefined : Number(status),
      succeeded: lines.some((line) => line._PID === '1' && /Deactivated successfully/.test(line.MESSAGE)),
    };
  });
}

/** Powers the guest on with its clock at `base`; `exited` resolves when QEMU exits (the test's quit: a power cut). */
async function powerOn(images: ReturnType<typeof buildImages>, base: string, serialLog: string): Promise<{ exited: Promise<number | null> }> {
  rmSync(monitorSocket, { force: true });
  qemu = spawn(
    'qemu-system-x86_64',
    [
      ...['-machine', 'pc', '-accel', 'tcg', '-m', '1024', '-smp', '1', '-global', 'PIIX4_PM.disable_s3=0'],
      ...['-kernel', images.kernel, '-initrd', images.initrd, '-append', 'root=/dev/vda rw console=ttyS0 printk.devkmsg=on'],
      ...['-drive', `file=${images.rootImage},format=raw,if=virtio`],
      ...['-device', 'virtio-scsi-pci', '-drive', `file=${images.storeImage},format=raw,if=none,id=store`, '-device', 'scsi-hd,drive=store,id=storedisk'],
      ...['-rtc', `base=${base},clock=host`, '-nic', 'none'],
      ...['-display', 'none', '-serial', `file:${join(work, serialLog)}`, '-monitor', `unix:${monitorSocket},server,nowait`],
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<number | null>((resolve) => qemu!.on('exit', resolve));
  await waitUntil('the monitor', () => existsSync(monitorSocket), 30_000);
  return { exited };
}

test('the appliance on a real kernel and systemd, sandboxed (live exposure 2.4): setup and the timer, a power cut mid-rsync recovered at the next boot, S3 left by the RTC alarm, a failing pass still sleeps, a button wake is a person', { skip, timeout: 45 * 60_000 }, async () => {
  const images = buildImages();
  // First boot: setup enables the timer, the timer starts pass 1 at slot 1, and the power goes while rsync copies.
  const firstBoot = (await powerOn(images, FIRST_BOOT, 'serial-1.log')).exited;
  await waitUntil('rsync to copy in pass 1', () => serial('serial-1.log').includes('odbackup-test: rsync is copying'), 15 * 60_000);
  await sleep(3000);
  monitorCommand('quit');
  await firstBoot;
  // journald and the kernel lost what they had not written; the next boot finds the root filesystem as the cut left it.
  const cut = run('e2fsck', ['-fy', images.rootImage]);
  assert.ok(cut.status !== null && cut.status < 4, cut.output);

  // Second boot: the timer's pass recovers (fsck of the store, .partial resumed), then S3; the button is a person.
  const { exited } = await powerOn(images, SECOND_BOOT, 'serial.log');
  const transitions: { status: string; at: number }[] = [];
  const started = Date.now();
  const watch = setInterval(() => {
    const status = vmStatus();
    if (transitions.at(-1)?.status !== status) transitions.push({ status, at: Math.round((Date.now() - started) / 1000) });
  }, 2000);
  const suspensions = () => transitions.filter((transition) => transition.status === 'paused (suspended)').length;
  try {
    await waitUntil('the pass after the power cut, started by the timer, to end in S3', () => suspensions() >= 1, 15 * 60_000);
    // The store's disk is pulled while the node sleeps. At slot 3 the RTC alarm wakes it (nobody presses a button):
    // the pass fails without its disk, and the node still goes back to sleep.
    monitorCommand('device_del storedisk');
    const wokeItself = () => transitions.some((transition, at) => at > 0 && transition.status === 'running' && transitions[at - 1]!.status === 'paused (suspended)');
    await waitUntil('the RTC alarm to wake the guest at slot 3', wokeItself, (SLOT_3_AFTER_BOOT + 120) * 1000 - (Date.now() - started));
    await waitUntil('the pass without its disk to fail and the node to sleep again', () => suspensions() >= 2, 10 * 60_000);
    // The power button: a person at the node. Slot 3's pass failed, so this one is due and fails too; maintenance
    // follows. Everything of the pass before reaches the disk meanwhile (the watcher syncs); then the power goes
    // while the node sleeps.
    monitorCommand('system_wakeup');
    await waitUntil('the button wake to be handled and the node to sleep a third time', () => suspensions() >= 3, 10 * 60_000);
    monitorCommand('quit');
    await exited;
  } finally {
    clearInterval(watch);
    if (qemu!.exitCode === null) {
      monitorCommand('quit');
      await exited;
    }
  }
  // The guest's clock ran in 2027: e2fsck fixes the superblock's times (exit 1), the disk is otherwise whole.
  const fsck = run('e2fsck', ['-fy', images.rootImage]);
  assert.ok(fsck.status !== null && fsck.status < 4, fsck.output);

  const state = JSON.parse(guestFile(images.rootImage, '/var/lib/odbackup/state.json')) as {
    passes: {
      runId: string;
      exitCode?: number;
      outcome: string;
      resumedAfter?: string;
      wake?: { reason: string; message: string };
      startedAt: string;
      warnings: { code: string; message: string }[];
    }[];
    sources: Record<string, { snapshot: string; verifiedAt?: string; promoted: boolean; files?: number }>;
  };
  const passes = [...state.passes].reverse();
  const journal = guestFile(images.rootImage, '/var/lib/odbackup-test/journal.json')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as JournalLine);
  const kernel = guestFile(images.rootImage, '/var/lib/odbackup-test/kernel');
  const units = invocations(journal);
  const storeAtSleep = guestFile(images.rootImage, '/var/lib/odbackup-test/store-at-sleep').trim().split('\n');
  const context = `transitions ${JSON.stringify(transitions)}\nstore at sleep ${JSON.stringify(storeAtSleep)}\npasses ${JSON.stringify(passes, null, 1)}\njournal:\n${journal.map((line) => `<${line.PRIORITY}> ${line.MESSAGE}`).join('\n').slice(-6000)}`;
  assert.match(guestFile(images.rootImage, '/var/lib/odbackup-test/timer'), /^enabled/, `setup enabled the timer\n${context}`);
  // Pass 1: the timer's, at slot 1, cut off. Pass 2: the power came back; it resumed and completed. Pass 3: the RTC
  // woke the node at slot 3, without the store's disk. Pass 4: a person, and the failed slot is due again.
  assert.deepEqual(
    passes.slice(0, 4).map((pass) => [pass.outcome, pass.exitCode, pass.wake?.reason]),
    [
      ['interrupted', undefined, 'first-run'],
      ['completed', 0, 'power-restored'],
      ['failed', 10, 'rtc-alarm'],
      ['failed', 10, 'manual'],
    ],
    context,
  );
  assert.equal(passes[2]!.startedAt.slice(11, 16), SLOTS[2], `the RTC woke the node for slot 3\n${context}`);
  assert.match(passes[2]!.wake!.message, /^woken by the RTC alarm, drift [+-]\d+ s$/, context);
  assert.equal(passes[0]!.startedAt.slice(11, 16), SLOTS[0], `the timer started pass 1 at slot 1\n${context}`);
  assert.equal(passes[1]!.resumedAfter, passes[0]!.runId, context);
  assert.match(journal.map((line) => line.MESSAGE).join('\n'), /files: resuming into \/srv\/store\/files\/\.partial, left by an interrupted pass/, context);
  assert.ok(state.sources.files!.promoted && state.sources.files!.verifiedAt, `latest is a verified snapshot\n${context}`);
  assert.equal(state.sources.files!.files, 21, context);
  assert.match(passes[3]!.wake!.message, /woken before the alarm .*the alarm is still set for/, context);
  // Maintenance on a node without an ssh server says so (22), and the node still goes back to sleep.
  assert.ok(
    passes[3]!.warnings.some((warning) => warning.code === 'maintenanceFailed' && /ssh\.service was not running and could not be started; systemctl start ssh\.service: .*Unit ssh\.service not found/.test(warning.message)),
    context,
  );
  // systemd's view of the same passes (the cut-off one has no end): the good one succeeded with nothing at priority
  // err; the failing one exited with its code (ExecMainStatus), and its err line says what failed.
  const ended = units.filter((unit) => unit.exitStatus !== undefined || unit.succeeded);
  const endings = `${context}\nerrors ${JSON.stringify(ended.map((unit) => unit.errors))}`;
  assert.deepEqual(
    ended.slice(0, 2).map((unit) => [unit.succeeded, unit.exitStatus, unit.errors.length > 0]),
    [
      [true, undefined, false],
      [false, 10, true],
    ],
    endings,
  );
  assert.match(ended[1]!.errors.join('\n'), /LABEL=odbstore/, endings);
  assert.match(
    kernel,
    /PM: suspend entry \(deep\)[\s\S]*Waking up from system sleep state S3[\s\S]*PM: suspend entry \(deep\)[\s\S]*Waking up from system sleep state S3/,
    `S3 after the good pass, and again after the failing one\n${kernel}`,
  );
  // The store mounted by the sandboxed pass (through PID 1) is mounted read-only for everyone when the node sleeps.
  assert.match(storeAtSleep[0]!, /^ro,/, `the store stays mounted read-only for a shell\n${context}`);
  const exposure = /Overall exposure level for odbackup\.service: ([\d.]+)/.exec(guestFile(images.rootImage, '/var/lib/odbackup-test/security'))?.[1];
  console.log(`systemd-analyze security odbackup.service, live in the guest: ${exposure}`);
  assert.ok(Number(exposure) <= 2.5, `the live exposure ${exposure} rose above 2.5`);
  console.log(`system test: QEMU transitions after the power cut ${JSON.stringify(transitions)}`);
});
