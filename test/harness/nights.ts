import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's libfaketime, for this machine's architecture. */
const LIBFAKETIME = readdirSync('/usr/lib')
  .map((dir) => join('/usr/lib', dir, 'faketime', 'libfaketime.so.1'))
  .find((path) => existsSync(path));

/**
 * A pass at a chosen UTC time (libfaketime, REFERENCE §9), preloaded directly: the faketime wrapper keeps a named
 * semaphore per pid, and one left by a killed wrapper makes a later one with the same pid fail (sem_open: File
 * exists). File times are not faked (NO_FAKE_STAT), or rsync would see every file as changed and --link-dest would
 * never link; timeouts and sleeps keep real time. `frozen`: the clock does not advance.
 */
export function nightClock(time: string, { frozen = false } = {}): { prefix: string[]; env: Record<string, string> } {
  if (!LIBFAKETIME) throw new Error('libfaketime is not installed (apt-get install faketime)');
  return {
    prefix: [],
    env: { LD_PRELOAD: LIBFAKETIME, FAKETIME: frozen ? time : `@${time}`, TZ: 'UTC', NO_FAKE_STAT: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' },
  };
}

/**
 * What the faketime wrapper does, without its named semaphore (see nightClock): a clock that starts at a time
 * ('2026-11-22 15:40:00') and runs, or one offset from now ('-2d', '+365d'). File times are faked as the wrapper
 * fakes them.
 */
export function fakeClock(at: string): Record<string, string> {
  if (!LIBFAKETIME) throw new Error('libfaketime is not installed (apt-get install faketime)');
  return { LD_PRELOAD: LIBFAKETIME, FAKETIME: /^[+-]/.test(at) ? at : `@${at}` };
}

/** Every process's open files and working directory under dir (what would pin a mount), as `pid path`. */
export function filesOpenUnder(dir: string): string[] {
  const open: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const links = [join('/proc', pid, 'cwd')];
    try {
      for (const fd of readdirSync(join('/proc', pid, 'fd'))) links.push(join('/proc', pid, 'fd', fd));
    } catch {
      continue; // the process ended meanwhile
    }
    for (const link of links) {
      try {
        const target = readlinkSync(link);
        if (target === dir || target.startsWith(`${dir}/`)) open.push(`${pid} ${target}`);
      } catch {
        // closed meanwhile
      }
    }
  }
  return open;
}
