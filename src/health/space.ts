import { statfsSync } from 'node:fs';
import { superblockFreeBytes } from '../adapters/storage.js';
import type { Config } from '../config/types.js';
import type { StorageState } from '../store/device.js';

/**
 * Bytes free for new snapshots: from the mounted filesystem (statfs), or, before the pass mounts it, from the
 * unmounted filesystem's superblock; undefined when neither can be read.
 */
export async function storeFreeBytes(config: Config, storage: StorageState | undefined): Promise<number | undefined> {
  const mounted = storage?.mounted && storage.mounted.source === storage.device;
  if (storage && !mounted) return superblockFreeBytes(config.system.programs, storage.device);
  try {
    const stats = statfsSync(config.storage.path);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}
