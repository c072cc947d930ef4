/**
 * The next wake: the next scheduled wall-clock time in the system time zone (TZ), at least a margin away, so that
 * the schedule never drifts the way "now + 24 h" does. JavaScript's local-time Date constructor gives the DST rules:
 * a time that does not exist on the spring-forward night is taken after the clocks moved (02:30 → 03:30), a
 * repeated time on the autumn night is taken the first time.
 */
export function nextWake(times: readonly string[], now: Date, marginMinutes: number): Date {
  const earliest = now.getTime() + marginMinutes * 60_000;
  const candidates: Date[] = [];
  for (let day = 0; day <= 2; day++) {
    for (const time of times) {
      const [hours, minutes] = time.split(':').map(Number) as [number, number];
      candidates.push(new Date(now.getFullYear(), now.getMonth(), now.getDate() + day, hours, minutes, 0, 0));
    }
  }
  return candidates.filter((date) => date.getTime() >= earliest).sort((a, b) => a.getTime() - b.getTime())[0]!;
}

/** The latest scheduled time at or before now: the slot a pass started now belongs to. */
export function currentSlot(times: readonly string[], now: Date): Date {
  const candidates: Date[] = [];
  for (let day = -1; day <= 0; day++) {
    for (const time of times) {
      const [hours, minutes] = time.split(':').map(Number) as [number, number];
      candidates.push(new Date(now.getFullYear(), now.getMonth(), now.getDate() + day, hours, minutes, 0, 0));
    }
  }
  return candidates.filter((date) => date <= now).sort((a, b) => b.getTime() - a.getTime())[0]!;
}

/** systemd OnCalendar= lines for the schedule (the timer unit's drop-in). */
export function onCalendarLines(times: readonly string[]): string[] {
  return times.map((time) => `OnCalendar=*-*-* ${time}:00`);
}

/** "2026-11-23 03:00 EET (in 11 h 40 min)": what status and the e-ink show. */
export function localTime(date: Date): string {
  const parts = new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }).formatToParts(date);
  const part = (type: string) => parts.find((item) => item.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
}
