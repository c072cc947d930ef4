import { readWakealarm, rtcwake, rtcwakeArgs, wakealarmPath } from '../adapters/rtc.js';
import { mountedAt } from '../adapters/storage.js';
import type { Config } from '../config/types.js';
import type { Context } from '../context.js';
import { exec, lastLine, type ExecResult } from '../exec.js';
import { clockTrust } from '../health/clock.js';
import { localTime, scheduledWake } from '../power/schedule.js';
import { failed, ok, skipped, type Step, type StepResult } from './types.js';

interface SuspendOptions {
  dryRun?: boolean;
}

/** An alarm that reads back further than this from the intended time is not the alarm we meant. */
const ALARM_TOLERANCE_SECONDS = 120;

/** One thing suspend does: as `--dry-run` prints it, and as it runs (a failed result stops the node from sleeping). */
interface SuspendAction {
  text: string;
  run(): Promise<StepResult | undefined>;
}

const commandError = (result: ExecResult) => lastLine(result.stderr) || lastLine(result.stdout) || (result.notFound ? 'not found' : `exit ${result.exitCode}`);

/**
 * Everything suspend does, in order, built once: `--dry-run` prints it and the real run executes it, so the two
 * cannot differ. Set the RTC from a trusted clock, arm the alarm the mode's way, read it back, sleep.
 */
function suspendPlan(ctx: Context, wake: Date, trusted: boolean): SuspendAction[] {
  const { config } = ctx;
  const { programs, root } = config.system;
  const { mode, rtc } = config.suspend;
  const epoch = Math.floor(wake.getTime() / 1000);
  const when = `${localTime(wake)} (${wake.toISOString()})`;
  const alarmFile = wakealarmPath(root, rtc);
  const notSet = (why: string) =>
    failed('alarmNotSet', `wake alarm for ${when} not set: ${why}; not sleeping (a node that sleeps without an alarm never wakes)`);
  type OnError = (error: string, text: string) => StepResult | undefined;
  const command = (argv: string[], execute: () => Promise<ExecResult>, onError: OnError): SuspendAction => ({
    text: argv.join(' '),
    async run() {
      const result = await execute();
      return result.exitCode === 0 ? undefined : onError(commandError(result), argv.join(' '));
    },
  });
  const run = (file: string, args: string[], timeout: number, onError: OnError, systemWide = false) =>
    command([file, ...args], () => exec(file, args, { timeout, systemWide }), onError);
  const rtcwakeCommand = (rtcMode: 'no' | 'mem', onError: OnError) =>
    command([programs.rtcwake, ...rtcwakeArgs(rtcMode, rtc, epoch)], () => rtcwake(programs.rtcwake, rtcMode, rtc, epoch), onError);
  const readBack: SuspendAction = {
    text: `read ${alarmFile} (expect ${epoch})`,
    async run() {
      let armed: number | undefined;
      try {
        armed = readWakealarm(root, rtc);
      } catch (error) {
        return failed('alarmNotSet', `wake alarm cannot be read back: ${(error as Error).message}; not sleeping`);
      }
      if (armed === undefined) return failed('alarmNotSet', `wake alarm reads back empty: not armed; not sleeping (meant ${when})`);
      if (Math.abs(armed - epoch) > ALARM_TOLERANCE_SECONDS)
        return failed('alarmNotSet', `wake alarm reads back ${new Date(armed * 1000).toISOString()}, not ${wake.toISOString()}; not sleeping`);
      ctx.state.armWake({ scheduledWake: wake.toISOString(), mode, armedAt: ctx.now().toISOString() });
      ctx.log.notice(`wake alarm armed for ${when}; sleeping (${mode})`);
      return undefined;
    },
  };
  const setRtc = run(programs.hwclock, ['--systohc'], 30_000, (error, text) => void ctx.log.warn(`${text}: ${error}; the RTC keeps its own time`), true);
  // The alarm through the RTC's own device, in every mode: the pass's sandbox cannot write sysfs (REFERENCE §4.1).
  const arm = rtcwakeCommand('no', notSet);
  const sleepFailed: OnError = (error, text) => failed('suspendFailed', `${text}: ${error}`);
  // rtcwake -m mem returns only after the node woke again; systemctl suspend and poweroff return at once.
  const sleep =
    mode === 'mem'
      ? rtcwakeCommand('mem', sleepFailed)
      : mode === 'poweroff'
        ? command([programs.poweroff], () => powerOff(ctx), sleepFailed)
        : run(programs.systemctl, ['suspend'], 60_000, sleepFailed);
  return [...(trusted ? [setRtc] : []), arm, readBack, sleep];
}

/** poweroff returns at once; the shutdown then stops the unit this pass runs in, which is expected from here on. */
function powerOff(ctx: Context): Promise<ExecResult> {
  ctx.expectTermination();
  return exec(ctx.config.system.programs.poweroff, [], { timeout: 60_000 });
}

async function storeMountedReadWrite(config: Config): Promise<boolean> {
  if (!config.storage.device) return false;
  return Boolean((await mountedAt(config.system.programs, config.storage.path))?.options.includes('rw'));
}

export const suspendStep: Step<SuspendOptions> = {
  name: 'suspend',
  summary: 'write the clock to the RTC, arm the wake alarm for the next scheduled time, read it back, and sleep',
  options: [{ flags: '--dry-run', description: 'print the exact commands and the wake time; arm nothing, sleep not' }],
  locked: true,
  async run(ctx) {
    const { config } = ctx;
    // Every slot of the schedule is a wake (the timer's pass decides what is due): the alarm never skips one.
    const wake = scheduledWake(config, ctx.now());
    const when = `${localTime(wake)} (${wake.toISOString()})`;
    if (config.suspend.mode === 'none') return skipped(`suspend.mode is none: staying awake; next scheduled pass ${when}`, { wake: wake.toISOString() });
    // A clock we do not trust must not overwrite the RTC (it may be the better clock of the two).
    const trusted = clockTrust(config.system.root, ctx.state.read(), ctx.now()).trusted;
    const plan = suspendPlan(ctx, wake, trusted);
    const data = { wake: wake.toISOString(), epoch: Math.floor(wake.getTime() / 1000), commands: plan.map((action) => action.text) };
    if (ctx.dryRun) return ok(`would wake at ${when}:\n${data.commands.map((line) => `  ${line}`).join('\n')}`, data);
    if (await storeMountedReadWrite(config)) {
      return failed('suspendFailed', `the store ${config.storage.path} is mounted read-write: not sleeping`, 'run `odbackup mount ro` (or `mount off`) first');
    }
    if (!trusted) ctx.log.warn('the system clock is not trusted: the RTC is not set from it');
    for (const action of plan) {
      const failure = await action.run();
      if (failure) return { ...failure, data };
    }
    return ok(`alarm armed for ${when}; ${config.suspend.mode === 'mem' ? 'woke again' : 'sleep requested'}`, data);
  },
};
