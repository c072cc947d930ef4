// A Debian 13 guest under QEMU (TCG: no KVM here) booted from an image made with mmdebstrap and `mkfs.ext4 -d`
// (REFERENCE §10), with odbackup's .deb for its architecture installed: the system tests' machine. The images are
// built as root on the host; files go in before the first boot and are read back from the image after QEMU stopped.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { have, ROOT, sleep, tempDir } from '../helpers.js';

export type Arch = 'amd64' | 'arm64';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const CACHE = process.env.ODBACKUP_ROOT_CACHE ?? '/var/cache/odbackup-test';
const MIRROR = 'http://deb.debian.org/debian';
const BASE_PACKAGES = 'systemd-sysv,udev,kmod,initramfs-tools,dbus,nodejs,rsync,e2fsprogs,openssh-client,util-linux,util-linux-extra,procps';

/** How each architecture's guest is made and started: its kernel package, its emulator and board, its console. */
const MACHINES: Record<Arch, { kernelPackage: string; qemu: string; board: string[]; console: string }> = {
  // S3 needs the PIIX4's ACPI sleep states, which QEMU turns off by default.
  amd64: { kernelPackage: 'linux-image-amd64', qemu: 'qemu-system-x86_64', board: ['-machine', 'pc', '-smp', '1', '-global', 'PIIX4_PM.disable_s3=0'], console: 'ttyS0' },
  // A Cortex-A72 (ARMv8.0, what Debian's arm64 builds target; the Odroid's A55 is v8.2, without pointer
  // authentication). `-cpu max` emulates that and more: boot and setup took 2.5 times as long, and node died of
  // SIGSEGV in one pass of two (QEMU 7.2). No S3 on `virt`.
  arm64: { kernelPackage: 'linux-image-arm64', qemu: 'qemu-system-aarch64', board: ['-machine', 'virt', '-cpu', 'cortex-a72', '-smp', '2'], console: 'ttyAMA0' },
};

/** Why the guest cannot run here (false: it can). */
export function cannotBoot(arch: Arch): string | false {
  if (process.getuid?.() !== 0) return 'needs root (mkfs.ext4 -d keeps owners, chroot, dpkg)';
  if (!have(MACHINES[arch].qemu)) return `needs ${MACHINES[arch].qemu} (apt-get install ${arch === 'amd64' ? 'qemu-system-x86' : 'qemu-system-arm'})`;
  if (!have('mmdebstrap')) return 'needs mmdebstrap';
  if (arch !== 'amd64' && (!existsSync('/usr/lib/binfmt.d/qemu-aarch64.conf') || !have('arch-test')))
    return 'needs qemu-user-static and arch-test (mmdebstrap configures an arm64 root under qemu)';
  return false;
}

export function run(file: string, args: string[], timeout = 600_000) {
  const result = spawnSync(file, args, { encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

export function must(file: string, args: string[], timeout?: number): string {
  const result = run(file, args, timeout);
  assert.equal(result.status, 0, `${file} ${args.join(' ')}: ${result.output.slice(-2000)}`);
  return result.output;
}

const BINFMT = '/proc/sys/fs/binfmt_misc';

/**
 * arm64 programs run on this host through qemu-user, which the kernel starts for them once binfmt_misc knows it (CI's
 * machines do not register it). Registered from qemu-user-static's own line when missing; the returned function
 * removes what this registered.
 */
function emulate(arch: Arch): () => void {
  if (arch === 'amd64' || existsSync(join(BINFMT, 'qemu-aarch64'))) return () => {};
  if (!existsSync(join(BINFMT, 'register'))) must('mount', ['-t', 'binfmt_misc', 'binfmt_misc', BINFMT]);
  writeFileSync(join(BINFMT, 'register'), readFileSync('/usr/lib/binfmt.d/qemu-aarch64.conf'));
  return () => writeFileSync(join(BINFMT, 'qemu-aarch64'), '-1');
}

/** The base system, made once and kept (a download of about 450 MB). */
function baseTarball(arch: Arch): string {
  mkdirSync(CACHE, { recursive: true });
  const tarball = join(CACHE, `trixie-${arch}-vm.tar`);
  if (!existsSync(tarball)) {
    const packages = `${BASE_PACKAGES},${MACHINES[arch].kernelPackage}`;
    must('mmdebstrap', ['--variant=minbase', `--architectures=${arch}`, `--include=${packages}`, '--format=tar', 'trixie', `${tarball}.tmp`, MIRROR], 3_600_000);
    must('mv', [`${tarball}.tmp`, tarball]);
  }
  return tarball;
}

export function write(root: string, path: string, text: string, mode = 0o644): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
  chmodSync(join(root, path), mode);
}

/**
 * The watcher: a unit that only looks. Every few seconds it writes what systemd says of odbackup.service and what
 * the journal holds of it into /var/lib/odbackup-test (synced: the host reads the image after a power cut), and once
 * more when the guest powers off (its unit stops after odbackup.service: the journal lives in /run).
 */
const WATCHER = `#!/bin/sh
out=/var/lib/odbackup-test
mkdir -p $out
record() {
  journalctl -u odbackup.service -o json --no-pager > $out/journal.tmp && mv $out/journal.tmp $out/journal.json
  systemctl is-enabled odbackup.timer > $out/timer 2>&1
  journalctl -k -o cat --no-pager | grep -E 'PM: suspend (entry|exit)|Waking up from system sleep state S3' > $out/kernel.tmp && mv $out/kernel.tmp $out/kernel
  sync
}
if [ "$1" = once ]; then record; exit 0; fi
# The unit's exposure as the running systemd scores it (not --offline), and the machine it runs on.
systemd-analyze security odbackup.service --no-pager > $out/security 2>&1
echo "$(uname -m) $(dpkg --print-architecture) $(dpkg-query -W -f '\${Architecture}' odbackup)" > $out/machine
while :; do
  # Tells the host, over the serial line, when the power may go mid-transfer.
  pgrep -x rsync > /dev/null && echo '<5>odbackup-test: rsync is copying' > /dev/kmsg
  record
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

export interface GuestImages {
  arch: Arch;
  rootImage: string;
  storeImage: string;
  kernel: string;
  initrd: string;
}

/**
 * The guest's root filesystem image with the .deb installed, odbackup's configuration, the files below `files`
 * (paths in the guest), the watcher and the operator's one command after installing (`odbackup setup`, which
 * enables the timer); its kernel and initrd; and the store's disk (ext4, LABEL=odbstore).
 */
export function buildImages(work: string, arch: Arch, config: object, files: Record<string, string>): GuestImages {
  const rootfs = join(work, 'rootfs');
  mkdirSync(rootfs);
  const forget = emulate(arch);
  try {
    must('tar', ['-C', rootfs, '-xf', baseTarball(arch)]);
    const deb = join(ROOT, `odbackup_${VERSION}_${arch}.deb`);
    assert.ok(existsSync(deb), `${deb}: run \`npm run package\` first`);
    copyFileSync(deb, join(rootfs, 'tmp/odbackup.deb'));
    must('chroot', [rootfs, 'dpkg', '-i', '/tmp/odbackup.deb']);
  } finally {
    forget();
  }
  write(rootfs, 'etc/fstab', '/dev/vda / ext4 rw 0 1\n');
  write(rootfs, 'etc/hostname', 'vm\n');
  write(rootfs, 'etc/odbackup/odbackup.json', JSON.stringify(config, null, 2), 0o600);
  for (const [path, text] of Object.entries(files)) write(rootfs, path, text);
  mkdirSync(join(rootfs, 'srv/store'), { recursive: true });
  write(rootfs, 'usr/local/bin/odbackup-test-watch', WATCHER, 0o755);
  write(rootfs, 'usr/lib/systemd/system-sleep/odbackup-test', AT_SLEEP, 0o755);
  write(
    rootfs,
    'etc/systemd/system/odbackup-test-watch.service',
    // Before= at start is after at stop: its last record sees how odbackup.service ended.
    '[Unit]\nDescription=odbackup system test: watches, changes nothing\nBefore=odbackup.service\n[Service]\nExecStart=/usr/local/bin/odbackup-test-watch\nExecStop=/usr/local/bin/odbackup-test-watch once\n[Install]\nWantedBy=multi-user.target\n',
  );
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
  symlinkSync('/dev/null', join(rootfs, `etc/systemd/system/serial-getty@${MACHINES[arch].console}.service`));
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
  return { arch, rootImage, storeImage, kernel, initrd };
}

/** A file of the guest's root filesystem, read from the image while QEMU is stopped. */
export function guestFile(image: string, path: string): string {
  const read = spawnSync('debugfs', ['-R', `cat ${path}`, image], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(read.status, 0, read.stderr);
  // A file the guest was still writing when it stopped may end in blocks it had not filled: NULs, not text.
  return read.stdout.replace(/\0+/g, '');
}

/** After QEMU stopped (a power cut or a power-off): the root filesystem checked, as the next boot would. */
export function fsckAfterStop(image: string): void {
  // The guest's clock ran in 2027: e2fsck fixes the superblock's times (exit 1), the disk is otherwise whole.
  const fsck = run('e2fsck', ['-fy', image]);
  assert.ok(fsck.status !== null && fsck.status < 4, fsck.output);
}

export interface JournalLine {
  MESSAGE: string;
  PRIORITY: string;
  /** On the unit's own lines; systemd's lines about the unit carry INVOCATION_ID. */
  _SYSTEMD_INVOCATION_ID?: string;
  INVOCATION_ID?: string;
  _PID: string;
}

/** The watcher's copy of odbackup.service's journal. */
export function guestJournal(image: string): JournalLine[] {
  return guestFile(image, '/var/lib/odbackup-test/journal.json')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as JournalLine);
}

/** One start of odbackup.service as the journal tells it: its lines, and how systemd saw it end. */
export interface Invocation {
  lines: JournalLine[];
  errors: string[];
  /** systemd's "Main process exited, …, status=N" (absent when it exited 0). */
  exitStatus?: number;
  succeeded: boolean;
}

export function invocations(journal: JournalLine[]): Invocation[] {
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

/** Every guest made in this test file: killed when it ends, whatever happened. */
const guests = new Set<Guest>();

/** The folder of a test's images and logs: removed after the test (ODBACKUP_SYSTEM_KEEP=1 keeps it to look at). */
export function guestWorkDir(prefix: string): string {
  const work = tempDir(prefix);
  after(() => {
    for (const guest of guests) guest.kill();
    if (!process.env.ODBACKUP_SYSTEM_KEEP) rmSync(work, { recursive: true, force: true });
  });
  return work;
}

/** The guest as QEMU runs it: powered on with its clock at a given moment, watched and stopped through the monitor. */
export class Guest {
  private qemu: ChildProcess | undefined;
  private readonly monitorSocket: string;
  /** The serial log of the latest power-on. */
  private serialLog = 'serial.log';

  constructor(
    private readonly work: string,
    private readonly images: GuestImages,
  ) {
    this.monitorSocket = join(work, 'monitor.sock');
    guests.add(this);
  }

  /** The serial console's log of one power-on. */
  serial(name = this.serialLog): string {
    return existsSync(join(this.work, name)) ? readFileSync(join(this.work, name), 'utf8') : '';
  }

  /** Powers the guest on with its clock at `base`; resolves to when QEMU exits (a power cut, or the guest's power-off). */
  async powerOn(base: string, serialLog: string): Promise<{ exited: Promise<number | null> }> {
    rmSync(this.monitorSocket, { force: true });
    this.serialLog = serialLog;
    const machine = MACHINES[this.images.arch];
    const qemu = spawn(
      machine.qemu,
      [
        ...machine.board,
        ...['-accel', 'tcg', '-m', '1024'],
        ...['-kernel', this.images.kernel, '-initrd', this.images.initrd, '-append', `root=/dev/vda rw console=${machine.console} printk.devkmsg=on`],
        ...['-drive', `file=${this.images.rootImage},format=raw,if=virtio`],
        ...['-device', 'virtio-scsi-pci', '-drive', `file=${this.images.storeImage},format=raw,if=none,id=store`, '-device', 'scsi-hd,drive=store,id=storedisk'],
        ...['-rtc', `base=${base},clock=host`, '-nic', 'none'],
        ...['-display', 'none', '-serial', `file:${join(this.work, serialLog)}`, '-monitor', `unix:${this.monitorSocket},server,nowait`],
      ],
      { stdio: 'ignore' },
    );
    this.qemu = qemu;
    const exited = new Promise<number | null>((resolve) => qemu.on('exit', resolve));
    await this.waitUntil('the monitor', () => existsSync(this.monitorSocket), 30_000);
    return { exited };
  }

  get running(): boolean {
    return this.qemu !== undefined && this.qemu.exitCode === null && this.qemu.signalCode === null;
  }

  monitor(command: string): string {
    const result = spawnSync('socat', ['-t', '2', '-', `UNIX-CONNECT:${this.monitorSocket}`], { input: `${command}\n`, encoding: 'utf8', timeout: 10_000 });
    return result.stdout ?? '';
  }

  /** QEMU's view: running, or paused (suspended) while the guest is in S3. */
  status(): string {
    const answer = /VM status: ([^\r\n]+)/.exec(this.monitor('info status'));
    return answer ? answer[1]!.trim() : 'unknown';
  }

  async waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
    const start = Date.now();
    while (!check()) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}; serial log:\n${this.serial().slice(-4000)}`);
      await sleep(2000);
    }
  }

  kill(): void {
    this.qemu?.kill('SIGKILL');
  }
}
