import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { OdbackupError } from '../errors.js';

interface LockOwner {
  pid: number;
  /** The subcommand holding it (`cycle`, `restore`): what a refused run tells its operator. */
  command?: string;
  bootId: string;
  startedAt: string;
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** A process that exists and is not a zombie: a killed owner whose parent has not reaped it yet holds nothing. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/**
 * The run lock: a file created with O_EXCL holding the owner's pid and boot id.
 * A lock whose owner is dead, or was written before the last boot (pids are reused after a blackout), is stale
 * and taken over.
 */
export class RunLock {
  private constructor(private readonly path: string) {}

  static acquire(path: string, command: string): RunLock {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o644);
        const owner: LockOwner = { pid: process.pid, command, bootId: bootId(), startedAt: new Date().toISOString() };
        writeSync(fd, JSON.stringify(owner) + '\n');
        closeSync(fd);
        return new RunLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = RunLock.liveOwner(path);
      if (owner) {
        const what = owner.command ? `a ${owner.command} is running` : 'another run is running';
        throw new OdbackupError('locked', `${what} (pid ${owner.pid}, started ${owner.startedAt}) and holds the lock ${path}`, 'wait for it to finish');
      }
      rmSync(path, { force: true });
    }
    throw new OdbackupError('locked', `could not take the lock ${path}`, 'another run took it at the same moment');
  }

  /** Who holds the lock, if that process is still alive in this boot. */
  static liveOwner(path: string): LockOwner | undefined {
    let owner: LockOwner;
    try {
      owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    } catch {
      return undefined;
    }
    return owner.bootId === bootId() && alive(owner.pid) ? owner : undefined;
  }

  release(): void {
    rmSync(this.path, { force: true });
  }
}
