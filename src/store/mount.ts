import { existsSync } from 'node:fs';
import { fsck, mount, flushFilesystem, unmount, type Mounted } from '../adapters/storage.js';
import type { Config } from '../config/types.js';
import type { Context } from '../context.js';
import { OdbackupError } from '../errors.js';
import { storageState } from './device.js';

export const MOUNT_MODES = ['rw', 'ro', 'off'] as const;
export type MountMode = (typeof MOUNT_MODES)[number];

/** e2fsck -n: 0 clean; 1/2 would only be corrections; 4 and up: errors left, or the check itself failed. */
async function checkFilesystem(ctx: Context, device: string): Promise<void> {
  const result = await fsck(ctx.config.system.programs, device, ctx.signal);
  if (result.exitCode < 4) return;
  ctx.log.error(`e2fsck -f -n ${device}:\n${result.output}`);
  const reason = result.exitCode & 4 ? 'errors left uncorrected' : `e2fsck exit ${result.exitCode}`;
  throw new OdbackupError('fsckErrors', `filesystem check of ${device} found ${reason}`, 'the e2fsck output is in the log; repair with `e2fsck -f -y` by hand');
}

/**
 * A source is somebody else's machine, and rsync as root keeps what it sends: a setuid-root program or a device node
 * in a snapshot must not work on the node. Last on the command line, so that no storage.mountOptions undoes them.
 */
export const PROTECTIVE_MOUNT_OPTIONS = ['nosuid', 'nodev', 'noexec'] as const;

/** The protective options a mount lacks (one made by hand or by fstab). */
export function missingProtection(mounted: Mounted | undefined): string[] {
  return mounted ? PROTECTIVE_MOUNT_OPTIONS.filter((option) => !mounted.options.includes(option)) : [];
}

async function mountAs(config: Config, device: string, readOnly: boolean): Promise<void> {
  const { storage } = config;
  // ro,noload: no journal replay, so a read-only mount never writes (REFERENCE §5.3).
  const options = [...(readOnly ? ['ro', 'noload'] : ['rw']), ...storage.mountOptions, ...PROTECTIVE_MOUNT_OPTIONS];
  const error = await mount(config.system.programs, device, storage.path, storage.fsType, options);
  if (error)
    throw new OdbackupError(
      readOnly ? 'mountRoFailed' : 'mountRwFailed',
      `mount ${readOnly ? 'read-only' : 'read-write'} of ${device} at ${storage.path} failed: ${error}`,
    );
}

async function release(config: Config, code: 'mountRwFailed' | 'mountRoFailed'): Promise<void> {
  const { storage, system } = config;
  const flushError = await flushFilesystem(system.programs, storage.path);
  if (flushError)
    throw new OdbackupError(
      'storageWriteFailed',
      `writing back ${storage.path} before unmounting failed: ${flushError}`,
      'the disk may be failing: `odbackup check`, and the kernel log (`journalctl -k`)',
    );
  const error = await unmount(system.programs, storage.path);
  if (error) throw new OdbackupError(code, `unmount of ${storage.path} failed: ${error}`, 'is a file on the store still open? `fuser -vm` shows who holds it');
}

/** Puts the store's device in a mode: rw (checked first), ro (from the media: unmounted and mounted again), off. */
export async function setMount(ctx: Context, mode: MountMode, checkFirst = true): Promise<string> {
  const storage = ctx.config.storage;
  const { device, mounted } = await storageState(ctx.config);
  if (mounted && mounted.source !== device) {
    throw new OdbackupError(mode === 'ro' ? 'mountRoFailed' : 'mountRwFailed', `${mounted.source}, not ${storage.device}, is mounted at ${storage.path}`);
  }
  const readOnly = mounted?.options.includes('ro') ?? false;
  switch (mode) {
    case 'rw':
      if (mounted && !readOnly && missingProtection(mounted).length === 0) return `${device} is already mounted read-write at ${storage.path}`;
      if (mounted) await release(ctx.config, 'mountRwFailed');
      if (checkFirst) await checkFilesystem(ctx, device);
      await mountAs(ctx.config, device, false);
      return `${device} ${checkFirst ? 'checked and ' : ''}mounted read-write at ${storage.path}`;
    case 'ro':
      // Unmount and mount again (not a remount): what follows reads the media, not the page cache.
      if (mounted) await release(ctx.config, 'mountRoFailed');
      await mountAs(ctx.config, device, true);
      return `${device} mounted read-only (ro,noload) at ${storage.path}`;
    case 'off':
      if (!mounted) return `${storage.path} is not mounted`;
      await release(ctx.config, 'mountRoFailed');
      return `${device} unmounted from ${storage.path}`;
  }
}

/**
 * The store ready to be read (snapshots, find, restore…). With a device it is normally mounted read-only as the pass
 * left it; unmounted (storage.afterPass: unmounted), `mountIfNeeded` mounts it read-only and the returned function unmounts it
 * again, otherwise it is 10 with the command that mounts it. Without a device, the directory must exist.
 */
export async function readableStore(ctx: Context, mountIfNeeded: boolean): Promise<() => Promise<void>> {
  const { storage } = ctx.config;
  const nothing = async () => {};
  if (!storage.device) {
    if (!existsSync(storage.path)) throw new OdbackupError('storageMissing', `the store ${storage.path} does not exist`, 'is storage.path right?');
    return nothing;
  }
  const { device, mounted } = await storageState(ctx.config);
  if (mounted?.source === device) return nothing;
  if (mounted) throw new OdbackupError('mountRoFailed', `${mounted.source}, not ${storage.device}, is mounted at ${storage.path}`);
  if (!mountIfNeeded)
    throw new OdbackupError('storageMissing', `the store ${storage.device} is not mounted at ${storage.path}`, '`odbackup mount ro` mounts it read-only');
  await setMount(ctx, 'ro');
  return async () => void (await setMount(ctx, 'off'));
}
