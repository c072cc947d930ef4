// The arm64 .deb, the one the Odroid runs, booted once: a Debian 13 arm64 guest (`qemu-system-aarch64 -machine
// virt`, TCG), its root configured under qemu-user, the package installed by dpkg. `odbackup setup` enables the
// timer, the timer starts one pass under the sandboxed unit, and the pass arms the RTC (the board's PL031) and powers
// the node off (`virt` has no S3): QEMU exits by itself. Emulating a whole arm64 machine on an amd64 one is slow (see
// the README's figure): only with ODBACKUP_TEST_ARM64=1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildImages, cannotBoot, fsckAfterStop, Guest, guestWorkDir, guestFile, guestJournal, invocations } from '../harness/guest.js';

const BOOT = '2027-03-05T02:55:00';
/** Five minutes after power-on: boot and `odbackup setup` took 1.5 min here (the machine busy with other work). */
const SLOT = '03:00';

const skip = !process.env.ODBACKUP_TEST_ARM64 ? 'set ODBACKUP_TEST_ARM64=1 (an emulated arm64 machine: slow)' : cannotBoot('arm64');
const work = guestWorkDir('odbackup-arm64-');

const GUEST_CONFIG = {
  node: 'arm',
  storage: { path: '/srv/store', device: 'LABEL=odbstore', afterPass: 'ro' },
  sources: [{ name: 'files', group: 'files', from: '/srv/source' }],
  schedule: { times: [SLOT], minMarginMinutes: 1, networkSettleSeconds: 0 },
  suspend: { mode: 'poweroff' },
  display: { port: 'none' },
};

test('the arm64 .deb on an emulated arm64 machine: setup, the timer, one pass under the sandboxed unit, the RTC armed and the node off', { skip, timeout: 90 * 60_000 }, async () => {
  const files = Object.fromEntries(Array.from({ length: 5 }, (_, index) => [`srv/source/dump-${index}.sql`, `arm64 night, file ${index}\n`.repeat(1000)]));
  const images = buildImages(work, 'arm64', GUEST_CONFIG, files);
  const vm = new Guest(work, images);
  const started = Date.now();
  const { exited } = await vm.powerOn(BOOT, 'serial.log');
  // The pass's poweroff ends QEMU: nothing from the host stops it.
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 45 * 60_000).unref());
  const ended = await Promise.race([exited, timeout]);
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(`arm64 guest: powered on to powered off by its own pass in ${minutes} min`);
  assert.notEqual(ended, 'timeout', `the guest did not power itself off within 45 min; serial log:\n${vm.serial().slice(-4000)}`);
  fsckAfterStop(images.rootImage);

  const state = JSON.parse(guestFile(images.rootImage, '/var/lib/odbackup/state.json')) as {
    passes: { exitCode?: number; outcome: string; startedAt: string; wake?: { reason: string } }[];
    sources: Record<string, { verifiedAt?: string; promoted: boolean; files?: number }>;
    wake?: { scheduledWake?: string; mode?: string };
  };
  const journal = guestJournal(images.rootImage);
  const context = `state ${JSON.stringify(state, null, 1)}\njournal:\n${journal.map((line) => `<${line.PRIORITY}> ${line.MESSAGE}`).join('\n').slice(-6000)}`;
  assert.equal(guestFile(images.rootImage, '/var/lib/odbackup-test/machine').trim(), 'aarch64 arm64 arm64', 'an arm64 machine running the arm64 package');
  assert.match(guestFile(images.rootImage, '/var/lib/odbackup-test/timer'), /^enabled/, `setup enabled the timer\n${context}`);
  assert.deepEqual(
    state.passes.map((pass) => [pass.outcome, pass.exitCode, pass.wake?.reason, pass.startedAt.slice(11, 16)]),
    [['completed', 0, 'first-run', SLOT]],
    `one pass, the timer's, at the slot\n${context}`,
  );
  assert.ok(state.sources.files!.promoted && state.sources.files!.verifiedAt, `latest is a verified snapshot\n${context}`);
  assert.equal(state.sources.files!.files, 5, context);
  // The alarm for tomorrow's slot, through the PL031's rtc0, read back before the node went off.
  assert.match(journal.map((line) => line.MESSAGE).join('\n'), /wake alarm armed for .* 03:00 .*; sleeping \(poweroff\)/, context);
  const [unit] = invocations(journal);
  assert.ok(unit && unit.succeeded && unit.errors.length === 0, `odbackup.service succeeded, nothing at priority err\n${context}`);
});
