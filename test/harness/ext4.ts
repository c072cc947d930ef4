import { execFileSync } from 'node:child_process';
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

/** A real ext4 filesystem in an image file on a loop device (root only), mounted at dir/mnt. */
export function makeExt4(dir: string, sizeMiB: number, label = 'odbackup-test'): Ext4 {
  mkdirSync(dir, { recursive: true });
  const image = join(dir, 'disk.img');
  const mountPoint = join(dir, 'mnt');
  mkdirSync(mountPoint, { recursive: true });
  run('truncate', ['-s', `${sizeMiB}M`, image]);
  run('mkfs.ext4', ['-q', '-F', '-L', label, image]);
  const device = run('losetup', ['--find', '--show', image]);
  let mounted = false;
  const fs: Ext4 = {
    image,
    device,
    mountPoint,
    mount(options = 'rw') {
      run('mount', ['-t', 'ext4', '-o', options, device, mountPoint]);
      mounted = true;
    },
    unmount() {
      if (mounted) run('umount', [mountPoint]);
      mounted = false;
    },
    destroy() {
      fs.unmount();
      run('losetup', ['-d', device]);
    },
  };
  return fs;
}
