import { join } from 'node:path';
import type { Config } from '../config/types.js';
import type { State } from '../state/run-state.js';
import { snapshotDate } from '../store/snapshots.js';

/**
 * The next wake of this node's schedule, from now; with the state, the next that has work, as the READY screen and
 * the page say it: a wake whose sources were all saved on its day already is passed over (the laptops saved at 11:30
 * need nothing at 14:00). The alarm is armed for every wake: the timer's pass decides what is due.
 */
export function scheduledWake(config: Config, now: Date, state?: State): Date {
  const earliest = now.getTime() + config.schedule.minMarginMinutes * 60_000;
  const wakes = scheduledTimes(config.schedule.times, now, 0, 2).filter((date) => date.getTime() >= earliest);
  return (state && wakes.find((wake) => config.sources.some((source) => pulledAtWake(source, wake) && savedOn(state, source.name) !== localDay(wake)))) ?? wakes[0]!;
}

/** "11:30": a wake's time of day, as schedule.times writes it. */
export function timeOfDay(date: Date): string {
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/** "2026-12-07": the local day (the time zone of schedule.times) a date falls on. */
export function localDay(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

/** Whether a source is pulled at a wake: its times name the wake's time, or it has none (every wake). */
export function pulledAtWake(source: { times?: readonly string[] }, wake: Date): boolean {
  return !source.times || source.times.includes(timeOfDay(wake));
}

/** The local day of a source's newest complete, promoted snapshot, as the state records it. */
export function savedOn(state: State, source: string): string | undefined {
  const record = state.sources?.[source];
  return record?.promoted ? localDay(snapshotDate(record.snapshot)) : undefined;
}

/**
 * The next wake: the next scheduled wall-clock time in the system time zone (TZ), at least a margin away, so that
 * the schedule never drifts the way "now + 24 h" does. JavaScript's local-time Date constructor gives the DST rules:
 * a time that does not exist on the spring-forward night is taken after the clocks moved (02:30 → 03:30), a
 * repeated time on the autumn night is taken the first time.
 */
export function nextWake(times: readonly string[], now: Date, marginMinutes: number): Date {
  const earliest = now.getTime() + marginMinutes * 60_000;
  return scheduledTimes(times, now, 0, 2).find((date) => date.getTime() >= earliest)!;
}

/** The latest scheduled time at or before now: the slot a pass started now belongs to. */
export function currentSlot(times: readonly string[], now: Date): Date {
  return scheduledTimes(times, now, -1, 0)
    .filter((date) => date <= now)
    .at(-1)!;
}

/** Every scheduled local time from `fromDay` to `toDay` days after now's date, in order. */
function scheduledTimes(times: readonly string[], now: Date, fromDay: number, toDay: number): Date[] {
  const dates: Date[] = [];
  for (let day = fromDay; day <= toDay; day++) {
    for (const time of times) {
      const [hours, minutes] = time.split(':').map(Number) as [number, number];
      dates.push(new Date(now.getFullYear(), now.getMonth(), now.getDate() + day, hours, minutes, 0, 0));
    }
  }
  return dates.sort((a, b) => a.getTime() - b.getTime());
}

/** systemd OnCalendar= lines for the schedule (the timer unit's drop-in). */
export function onCalendarLines(times: readonly string[]): string[] {
  return times.map((time) => `OnCalendar=*-*-* ${time}:00`);
}

/** The drop-in that gives odbackup.timer the configured schedule (setup writes it; the configuration is the truth). */
export function timerDropIn(root: string): string {
  return join(root, 'etc/systemd/system/odbackup.timer.d/odbackup-schedule.conf');
}

export function timerDropInText(times: readonly string[]): string {
  return `# Written by \`odbackup setup\` from schedule.times in the configuration: change it there, then run setup again.\n[Timer]\nOnCalendar=\n${onCalendarLines(times).join('\n')}\n`;
}

/** A formatter is costly to make (a few ms each, and a pass shows many times): one, made again if TZ changes. */
let zoned: { zone: string | undefined; format: Intl.DateTimeFormat } | undefined;

/** "2026-11-23 03:00 EET (in 11 h 40 min)": what status and the e-ink show. */
export function localTime(date: Date): string {
  if (!zoned || zoned.zone !== process.env.TZ)
    zoned = {
      zone: process.env.TZ,
      format: new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }),
    };
  const parts = zoned.format.formatToParts(date);
  const part = (type: string) => parts.find((item) => item.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
}
