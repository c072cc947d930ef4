import { localTime, nextWake, onCalendarLines, timerDropIn } from '../power/schedule.js';
import { ok, type Step } from './types.js';

export const scheduleStep: Step = {
  name: 'schedule',
  summary: 'show the next scheduled wakes and the OnCalendar= lines for odbackup.timer',
  locked: false,
  async run(ctx) {
    const { times, minMarginMinutes } = ctx.config.schedule;
    const wakes: Date[] = [];
    let from = ctx.now();
    for (let index = 0; index < 3; index++) {
      const wake = nextWake(times, from, index === 0 ? minMarginMinutes : 1);
      wakes.push(wake);
      from = wake;
    }
    const onCalendar = onCalendarLines(times);
    const text = [
      `next wakes (${Intl.DateTimeFormat().resolvedOptions().timeZone}):`,
      ...wakes.map((wake) => `  ${localTime(wake)}  ${wake.toISOString()}`),
      `odbackup.timer's [Timer] section (\`odbackup setup\` writes it as ${timerDropIn(ctx.config.system.root)} from schedule.times):`,
      ...onCalendar.map((line) => `  ${line}`),
    ].join('\n');
    return ok(text, { wakes: wakes.map((wake) => wake.toISOString()), onCalendar });
  },
};
