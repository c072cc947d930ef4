import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
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
  run('truncate', ['-s', `${sizeMiB}M`, image]);
  run('mkfs.ext4', ['-q', '-F', '-b', String(BLOCK_SIZE), '-L', label, image]);
  return attachExt4(image, join(dir, 'mnt'));
}

/** An existing ext4 image on a new loop device, to be mounted at mountPoint. */
export function attachExt4(image: string, mountPoint: string): Ext4 {
  mkdirSync(mountPoint, { recursive: true });
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

/**
 * A power cut, honestly: an XFS filesystem (on a loop device) that holds the ext4 image files, so that a
 * reflink clone of an image is exactly what the disk held at that moment — what ext4 had written to its block
 * device — and not what sat in its page cache.
 */
export interface CloneHost {
  directory: string;
  /** The image as the disk holds it now (cp --reflink=always: instant, and flushes what the loop device wrote). */
  capture(image: string, name: string): string;
  destroy(): void;
}

/** Why power cuts cannot be simulated here, or undefined when they can. */
export function cloneHostUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for loop devices and mount';
  if (!['/usr/sbin/mkfs.xfs', '/sbin/mkfs.xfs'].some((path) => existsSync(path))) return 'mkfs.xfs not installed (apt-get install xfsprogs)';
  return undefined;
}

export function makeCloneHost(dir: string, sizeMiB = 512): CloneHost {
  mkdirSync(join(dir, 'mnt'), { recursive: true });
  const image = join(dir, 'xfs.img');
  run('truncate', ['-s', `${sizeMiB}M`, image]);
  run('mkfs.xfs', ['-q', '-f', '-m', 'reflink=1', image]);
  const device = run('losetup', ['--find', '--show', image]);
  const directory = join(dir, 'mnt');
  run('mount', ['-t', 'xfs', device, directory]);
  return {
    directory,
    capture(source, name) {
      const target = join(directory, name);
      run('cp', ['--reflink=always', source, target]);
      return target;
    },
    destroy() {
      run('umount', [directory]);
      run('losetup', ['-d', device]);
    },
  };
}

/** A captured image as the next boot sees it: e2fsck -fy replays the journal and repairs; returns its exit. */
export function bootCheck(image: string): number {
  return spawnSync('e2fsck', ['-f', '-y', image], { encoding: 'utf8' }).status ?? 8;
}
