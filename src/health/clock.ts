import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { State } from '../state/run-state.js';

/** A clock before this is a reset RTC (a dead battery after a blackout), whatever the history says. */
export const CLOCK_FLOOR = new Date('2026-01-01T00:00:00Z');

export interface ClockTrust {
  trusted: boolean;
  /** systemd-timesyncd says the clock is NTP-synchronised (its flag file under /run). */
  synchronised: boolean;
  /** The latest time this node has recorded (the start of its newest pass). */
  lastRun?: string;
  message: string;
}

function latestRecorded(state: State): string | undefined {
  const counted = state.passes.filter((pass) => !pass.clockAhead);
  const times = [state.current?.startedAt, ...counted.map((pass) => pass.endedAt ?? pass.startedAt)].filter((time): time is string => Boolean(time));
  return times.sort().at(-1);
}

/**
 * Trusted = NTP-synchronised, or at least not earlier than anything this node already recorded (nor the floor).
 * Snapshot names and the alarm come from this clock, so an untrusted one stops the pass (15).
 */
export function clockTrust(root: string, state: State, now: Date): ClockTrust {
  const synchronised = existsSync(join(root, 'run/systemd/timesync/synchronized'));
  const lastRun = latestRecorded(state);
  if (synchronised) return { trusted: true, synchronised, lastRun, message: 'synchronised (NTP)' };
  if (lastRun && now.getTime() < Date.parse(lastRun)) {
    return { trusted: false, synchronised, lastRun, message: `clock ${now.toISOString()} is earlier than the last recorded run ${lastRun}: RTC reset?` };
  }
  if (now < CLOCK_FLOOR)
    return { trusted: false, synchronised, lastRun, message: `clock ${now.toISOString()} is before ${CLOCK_FLOOR.toISOString().slice(0, 10)}: RTC reset?` };
  return { trusted: true, synchronised, lastRun, message: `not NTP-synchronised, but not earlier than the last run${lastRun ? ` (${lastRun})` : ''}` };
}
