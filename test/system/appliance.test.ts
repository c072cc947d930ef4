// `npm run test:system`: the appliance on a real kernel and systemd. A Debian 13 amd64 guest under QEMU (TCG: no KVM
// here), booted from an image made with mmdebstrap and `mkfs.ext4 -d` (REFERENCE §10), with the amd64 .deb installed
// and the store on a SCSI disk (/dev/sda, as the Odroid's SSD). Nothing here runs `odbackup cycle`: the timer does.
// The guest's own watcher unit records what systemd and the journal say; the host watches QEMU's monitor and pulls
// the store's disk (device_del) to make a pass fail.
// The RTC alarm the pass arms wakes the guest from S3 at the next slot (`-rtc clock=host`: the RTC runs on in S3).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sleep } from '../helpers.js';
import { buildImages, cannotBoot, fsckAfterStop, Guest, guestWorkDir, guestFile, guestJournal, invocations } from '../harness/guest.js';

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

const skip = cannotBoot('amd64');
const work = guestWorkDir('odbackup-system-');

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

/** Twenty dumps and an image of 51 MiB: it is still copying (at 1 MB/s) when the power goes. */
function sourceFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let index = 0; index < 20; index++) files[`srv/source/dump-${index}.sql`] = `night one, file ${index}\n`.repeat(1000 * (index + 1));
  files['srv/source/zz-image.raw'] = 'disk image block\n'.repeat(3 * 1024 * 1024);
  return files;
}

test('the appliance on a real kernel and systemd, sandboxed (live exposure 2.4): setup and the timer, a power cut mid-rsync recovered at the next boot, S3 left by the RTC alarm, a failing pass still sleeps, a button wake is a person', { skip, timeout: 45 * 60_000 }, async () => {
  const images = buildImages(work, 'amd64', GUEST_CONFIG, sourceFiles());
  const vm = new Guest(work, images);
  // First boot: setup enables the timer, the timer starts pass 1 at slot 1, and the power goes while rsync copies.
  const firstBoot = (await vm.powerOn(FIRST_BOOT, 'serial-1.log')).exited;
  await vm.waitUntil('rsync to copy in pass 1', () => vm.serial().includes('odbackup-test: rsync is copying'), 15 * 60_000);
  await sleep(3000);
  vm.monitor('quit');
  await firstBoot;
  // journald and the kernel lost what they had not written; the next boot finds the root filesystem as the cut left it.
  fsckAfterStop(images.rootImage);

  // Second boot: the timer's pass recovers (fsck of the store, .partial resumed), then S3; the button is a person.
  const { exited } = await vm.powerOn(SECOND_BOOT, 'serial.log');
  const transitions: { status: string; at: number }[] = [];
  const started = Date.now();
  const watch = setInterval(() => {
    const status = vm.status();
    if (transitions.at(-1)?.status !== status) transitions.push({ status, at: Math.round((Date.now() - started) / 1000) });
  }, 2000);
  const suspensions = () => transitions.filter((transition) => transition.status === 'paused (suspended)').length;
  try {
    await vm.waitUntil('the pass after the power cut, started by the timer, to end in S3', () => suspensions() >= 1, 15 * 60_000);
    // The store's disk is pulled while the node sleeps. At slot 3 the RTC alarm wakes it (nobody presses a button):
    // the pass fails without its disk, and the node still goes back to sleep.
    vm.monitor('device_del storedisk');
    const wokeItself = () => transitions.some((transition, at) => at > 0 && transition.status === 'running' && transitions[at - 1]!.status === 'paused (suspended)');
    await vm.waitUntil('the RTC alarm to wake the guest at slot 3', wokeItself, (SLOT_3_AFTER_BOOT + 120) * 1000 - (Date.now() - started));
    await vm.waitUntil('the pass without its disk to fail and the node to sleep again', () => suspensions() >= 2, 10 * 60_000);
    // The power button: a person at the node. Slot 3's pass failed, so this one is due and fails too; maintenance
    // follows. Everything of the pass before reaches the disk meanwhile (the watcher syncs); then the power goes
    // while the node sleeps.
    vm.monitor('system_wakeup');
    await vm.waitUntil('the button wake to be handled and the node to sleep a third time', () => suspensions() >= 3, 10 * 60_000);
    vm.monitor('quit');
    await exited;
  } finally {
    clearInterval(watch);
    if (vm.running) {
      vm.monitor('quit');
      await exited;
    }
  }
  fsckAfterStop(images.rootImage);

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
  const journal = guestJournal(images.rootImage);
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
