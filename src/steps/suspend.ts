import { armWakealarm, readWakealarm, rtcwake, rtcwakeArgs, wakealarmPath } from '../adapters/rtc.js';
import { mountedAt } from '../adapters/storage.js';
import type { Config } from '../config/types.js';
import { exec, lastLine } from '../exec.js';
import { clockTrust } from '../health/clock.js';
import { localTime, nextWake } from '../power/schedule.js';
import { failed, ok, skipped, type Context, type Step } from './types.js';

interface SuspendOptions {
  dryRun?: boolean;
}

/** An alarm that reads back further than this from the intended time is not the alarm we meant. */
const ALARM_TOLERANCE_SECONDS = 120;

/** The next wake of this node's schedule. */
export function scheduledWake(ctx: Context): Date {
  return nextWake(ctx.config.schedule.times, ctx.now(), ctx.config.schedule.minMarginMinutes);
}

/** The commands of each mode, in order, as `--dry-run` prints them and as they run. */
export function suspendPlan(config: Config, epoch: number, writeRtc: boolean): string[] {
  const { programs, root } = config.system;
  const { mode, rtc } = config.suspend;
  const readBack = `read ${wakealarmPath(root, rtc)} (expect ${epoch})`;
  const arm =
    mode === 'poweroff'
      ? [`write 0 > ${wakealarmPath(root, rtc)}`, `write ${epoch} > ${wakealarmPath(root, rtc)}`]
      : [[programs.rtcwake, ...rtcwakeArgs('no', rtc, epoch)].join(' ')];
  const sleep = sleepCommand(config, epoch).flat().join(' ');
  return [...(writeRtc ? [`${programs.hwclock} --systohc`] : []), ...arm, readBack, sleep];
}

/** The command that puts the node to sleep (or off). */
function sleepCommand(config: Config, epoch: number): [string, string[]] {
  const { programs } = config.system;
  if (config.suspend.mode === 'mem') return [programs.rtcwake, rtcwakeArgs('mem', config.suspend.rtc, epoch)];
  if (config.suspend.mode === 'poweroff') return [programs.poweroff, []];
  return [programs.systemctl, ['suspend']];
}

async function storeMountedReadWrite(config: Config): Promise<boolean> {
  if (!config.storage.device) return false;
  return Boolean((await mountedAt(config.storage.path))?.options.includes('rw'));
}

/** Arms the alarm the mode's way; returns what went wrong, or undefined. */
async function arm(config: Config, epoch: number): Promise<string | undefined> {
  const { programs, root } = config.system;
  const { mode, rtc } = config.suspend;
  if (mode === 'poweroff') {
    try {
      armWakealarm(root, rtc, epoch);
      return undefined;
    } catch (error) {
      return `writing ${wakealarmPath(root, rtc)}: ${(error as Error).message}`;
    }
  }
  const result = await rtcwake(programs.rtcwake, 'no', rtc, epoch);
  if (result.notFound) return `${programs.rtcwake} not found (Debian package util-linux)`;
  return result.exitCode === 0 ? undefined : `${lastLine(result.stderr) || lastLine(result.stdout) || `exit ${result.exitCode}`}`;
}

function readBack(config: Config): number | undefined | Error {
  try {
    return readWakealarm(config.system.root, config.suspend.rtc);
  } catch (error) {
    return error as Error;
  }
}

export const suspendStep: Step<SuspendOptions> = {
  name: 'suspend',
  summary: 'write the clock to the RTC, arm the wake alarm for the next scheduled time, read it back, and sleep',
  options: [{ flags: '--dry-run', description: 'print the exact commands and the wake time; arm nothing, sleep not' }],
  locked: true,
  async run(ctx) {
    const { config } = ctx;
    const wake = scheduledWake(ctx);
    const epoch = Math.floor(wake.getTime() / 1000);
    const when = `${localTime(wake)} (${wake.toISOString()})`;
    if (config.suspend.mode === 'none') return skipped(`suspend.mode is none: staying awake; next scheduled pass ${when}`, { wake: wake.toISOString() });
    // A clock we do not trust must not overwrite the RTC (it may be the better clock of the two).
    const trusted = clockTrust(config.system.root, ctx.state.read(), ctx.now()).trusted;
    const plan = suspendPlan(config, epoch, trusted);
    if (ctx.dryRun) return ok(`would wake at ${when}:\n${plan.map((line) => `  ${line}`).join('\n')}`, { wake: wake.toISOString(), epoch, commands: plan });
    if (await storeMountedReadWrite(config)) {
      return failed('suspendFailed', `the store ${config.storage.path} is mounted read-write: not sleeping`, 'run `odbackup mount ro` (or `mount off`) first');
    }
    if (trusted) {
      const hwclock = await exec(config.system.programs.hwclock, ['--systohc'], { timeout: 30_000 });
      if (hwclock.exitCode !== 0) ctx.log.warn(`${config.system.programs.hwclock} --systohc: ${lastLine(hwclock.stderr) || `exit ${hwclock.exitCode}`}; the RTC keeps its own time`);
    } else {
      ctx.log.warn('the system clock is not trusted: the RTC is not set from it');
    }
    const armError = await arm(config, epoch);
    if (armError) return failed('alarmNotSet', `wake alarm for ${when} not set: ${armError}; not sleeping (a node that sleeps without an alarm never wakes)`);
    const armed = readBack(config);
    if (armed instanceof Error) return failed('alarmNotSet', `wake alarm cannot be read back: ${armed.message}; not sleeping`);
    if (armed === undefined) return failed('alarmNotSet', `wake alarm reads back empty: not armed; not sleeping (meant ${when})`);
    if (Math.abs(armed - epoch) > ALARM_TOLERANCE_SECONDS) {
      return failed('alarmNotSet', `wake alarm reads back ${new Date(armed * 1000).toISOString()}, not ${wake.toISOString()}; not sleeping`);
    }
    ctx.state.update((state) => {
      state.power = { scheduledWake: wake.toISOString(), mode: config.suspend.mode, armedAt: ctx.now().toISOString() };
    });
    ctx.log.notice(`wake alarm armed for ${when}; sleeping (${config.suspend.mode})`);
    const [file, args] = sleepCommand(config, epoch);
    // rtcwake -m mem returns only after the node woke again; systemctl suspend and poweroff return at once.
    const sleep = await exec(file, args, { timeout: config.suspend.mode === 'mem' ? undefined : 60_000 });
    if (sleep.exitCode !== 0) return failed('suspendFailed', `${sleep.command}: ${lastLine(sleep.stderr) || (sleep.notFound ? 'not found' : `exit ${sleep.exitCode}`)}`);
    return ok(`alarm armed for ${when}; ${config.suspend.mode === 'mem' ? 'woke again' : 'sleep requested'}`, { wake: wake.toISOString(), epoch, commands: plan });
  },
};
