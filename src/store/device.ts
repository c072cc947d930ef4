import { existsSync, statSync } from 'node:fs';
import { findDevice, mountedAt, type Mounted } from '../adapters/storage.js';
import type { Config } from '../config/types.js';
import { OdbackupError } from '../errors.js';

export interface StorageState {
  device: string;
  mounted?: Mounted;
}

/** The configured storage device (10 when it is not there) and what is mounted at the store's path. */
export async function storageState(config: Config): Promise<StorageState> {
  const { storage, system } = config;
  const device = await findDevice(system.programs, storage.device!);
  if (!device) throw new OdbackupError('storageMissing', `storage device ${storage.device} not found`, 'is the disk connected? `blkid` lists the filesystems');
  return { device, mounted: await mountedAt(system.programs, storage.path) };
}

/**
 * Refuses to write unless the store is really there: with a device, that very filesystem mounted read-write at
 * the store's path (never fill the root filesystem because the disk is missing); without, an existing directory.
 */
export async function assertStoreWritable(config: Config): Promise<void> {
  const { storage } = config;
  if (storage.device) {
    const { device, mounted } = await storageState(config);
    if (!mounted || mounted.source !== device) {
      throw new OdbackupError(
        'mountRwFailed',
        `storage ${storage.device} is not mounted at ${storage.path}; nothing is written`,
        'run `odbackup mount rw` first',
      );
    }
    if (!mounted.options.includes('rw'))
      throw new OdbackupError('mountRwFailed', `storage at ${storage.path} is mounted read-only; nothing is written`, 'run `odbackup mount rw` first');
    return;
  }
  let isDirectory = false;
  try {
    isDirectory = statSync(storage.path).isDirectory();
  } catch {
    // reported below
  }
  if (!isDirectory)
    throw new OdbackupError('storageMissing', `the store ${storage.path} does not exist or is not a directory`, 'is the storage disk connected and mounted?');
}

/** Why the store cannot be listed now (its disk missing, or not mounted at its path), or undefined when it can. */
export async function storeUnreadable(config: Config): Promise<string | undefined> {
  const { storage, system } = config;
  if (!storage.device) return existsSync(storage.path) ? undefined : `the store ${storage.path} does not exist`;
  const device = await findDevice(system.programs, storage.device);
  if (!device) return `the storage disk ${storage.device} is not connected`;
  const mounted = await mountedAt(system.programs, storage.path);
  return mounted?.source === device ? undefined : `the store (${storage.device}) is not mounted at ${storage.path}`;
}
