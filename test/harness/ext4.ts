import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Ext4 {
  image: string;
  device: string;
  mountPoint: string;
  mount(options?: string): void;
  unmount(): void;
  /** Unmount (if mounted) and detach the loop device. */
  destroy(): void;
}

const run = (file: string, args: string[]) => execFileSync(file, args, { encoding: 'utf8' }).trim();

/** Small filesystems default to 1 KiB blocks; tests that write into the image count in these. */
export const BLOCK_SIZE = 4096;

/** A real ext4 filesystem in an image file on a loop device (root only), mounted at dir/mnt. */
export function makeExt4(dir: string, sizeMiB: number, label = 'odbackup-test'): Ext4 {
  mkdirSync(dir, { recursive: true });
  const image = join(dir, 'disk.img');
  const mountPoint = join(dir, 'mnt');
  mkdirSync(mountPoint, { recursive: true });
  run('truncate', ['-s', `${sizeMiB}M`, image]);
  run('mkfs.ext4', ['-q', '-F', '-b', String(BLOCK_SIZE), '-L', label, image]);
  const device = run('losetup', ['--find', '--show', image]);
  const fs: Ext4 = {
    image,
    device,
    mountPoint,
    mount(options = 'rw') {
      run('mount', ['-t', 'ext4', '-o', options, device, mountPoint]);
    },
    /** Whoever mounted it (the test or odbackup). */
    unmount() {
      if (spawnSync('findmnt', ['--mountpoint', mountPoint]).status === 0) run('umount', [mountPoint]);
    },
    destroy() {
      fs.unmount();
      run('losetup', ['-d', device]);
    },
  };
  return fs;
}
