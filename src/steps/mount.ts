import { MOUNT_MODES, setMount, type MountMode } from '../store/mount.js';
import { ok, skipped, type Step } from './types.js';

interface MountOptions {
  fsck?: boolean;
}

export const mountStep: Step<MountOptions> = {
  name: 'mount',
  summary: 'check the storage filesystem and mount it read-write (rw), remount it read-only from the media (ro), or unmount it (off)',
  arguments: [{ name: 'mode', description: MOUNT_MODES.join(' | '), required: true, choices: MOUNT_MODES }],
  options: [{ flags: '--no-fsck', description: 'rw without the filesystem check (the pass checked it when it first mounted the store)' }],
  locked: true,
  async run(ctx, { args: [mode], options }) {
    if (!ctx.config.storage.device) return skipped(`storage is the plain directory ${ctx.config.storage.path} (no storage.device): nothing to mount`);
    if (ctx.dryRun) return skipped(`dry run: would mount ${mode}`);
    return ok(await setMount(ctx, mode as MountMode, options.fsck !== false));
  },
};
