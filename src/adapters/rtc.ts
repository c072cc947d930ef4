import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, type ExecResult } from '../exec.js';

/** The RTC's wake alarm in sysfs (REFERENCE §4.2): reads the alarm's epoch only while it is armed. */
export function wakealarmPath(root: string, rtc: string): string {
  return join(root, 'sys/class/rtc', rtc, 'wakealarm');
}

/** The armed alarm (epoch seconds), undefined when none is armed; throws when the file cannot be read. */
export function readWakealarm(root: string, rtc: string): number | undefined {
  const text = readFileSync(wakealarmPath(root, rtc), 'utf8').trim();
  return text ? Number(text) : undefined;
}

/** Always an explicit mode: rtcwake's compiled-in default is not what its man page says (REFERENCE §4.1). */
export function rtcwakeArgs(mode: 'no' | 'mem', rtc: string, epoch: number): string[] {
  return ['-m', mode, '-d', rtc, '-t', String(epoch)];
}

export function rtcwake(program: string, mode: 'no' | 'mem', rtc: string, epoch: number): Promise<ExecResult> {
  // -m mem blocks until the node wakes again: at most a day and a half on any schedule.
  return exec(program, rtcwakeArgs(mode, rtc, epoch), { timeout: mode === 'no' ? 30_000 : 36 * 3_600_000, systemWide: true });
}
