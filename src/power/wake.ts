import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWakealarm } from '../adapters/rtc.js';
import type { Config } from '../config/types.js';
import type { State, WakeRecord } from '../state/run-state.js';

/** The last wake time the system-sleep hook wrote ("wake <epoch> suspend" lines), if after `since`. */
export function lastHookWake(sleepLog: string, since: Date): Date | undefined {
  let text: string;
  try {
    text = readFileSync(sleepLog, 'utf8');
  } catch {
    return undefined;
  }
  const wakes = text.split('\n').flatMap((line) => {
    const match = /^wake (\d+)/.exec(line);
    return match ? [new Date(Number(match[1]) * 1000)] : [];
  });
  const last = wakes.at(-1);
  return last && last > since ? last : undefined;
}

function seconds(ms: number): string {
  const value = Math.round(ms / 1000);
  return `${value >= 0 ? '+' : ''}${value} s`;
}

/** When the kernel booted (`btime` of <root>/proc/stat), or undefined where it cannot be read. */
export function bootTime(root: string): Date | undefined {
  try {
    const btime = /^btime (\d+)$/m.exec(readFileSync(join(root, 'proc', 'stat'), 'utf8'));
    return btime ? new Date(Number(btime[1]) * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * RTC wake ⇔ the alarm is no longer armed and the node woke at (or a little after) the stored scheduled time;
 * an alarm still armed, an early wake, or a start long after it is a person (REFERENCE §6.1).
 */
export function wakeReason(config: Config, state: State, now: Date, sleepLog: string): WakeRecord {
  // A pass that was cut off, and a boot since it started: the power went and came back (a blackout, a pulled plug).
  // Nobody is at the node: this is the pass that recovers, not a request for maintenance.
  const booted = bootTime(config.system.root);
  if (state.current && booted && booted.getTime() > Date.parse(state.current.startedAt)) {
    return {
      reason: 'power-restored',
      wokeAt: booted.toISOString(),
      message: `power came back: booted at ${booted.toISOString()}, after the pass of ${state.current.startedAt} was cut off`,
    };
  }
  const power = state.power;
  if (!power) {
    // A node that never sleeps (the demo, a test machine) arms no alarm: that is not news at every pass.
    const message = config.suspend.mode === 'none' && state.passes.length > 0 ? 'started: this node does not sleep (suspend.mode "none")' : 'first run: no wake alarm was armed before';
    return { reason: 'first-run', message, wokeAt: now.toISOString() };
  }
  const scheduled = new Date(power.scheduledWake);
  const woke = lastHookWake(sleepLog, new Date(power.armedAt)) ?? now;
  const base = { scheduled: power.scheduledWake, wokeAt: woke.toISOString() };
  if (power.wakeSeenAt) return { ...base, reason: 'manual', message: `started by hand: the wake of ${power.scheduledWake} was already handled` };
  let armed: number | undefined;
  try {
    armed = readWakealarm(config.system.root, config.suspend.rtc);
  } catch {
    armed = undefined; // no sysfs alarm (mem mode disarms it anyway): judge by the time alone
  }
  if (armed !== undefined && armed * 1000 > now.getTime()) {
    return {
      ...base,
      reason: 'manual',
      message: `woken before the alarm (power button or reboot); the alarm is still set for ${new Date(armed * 1000).toISOString()}`,
    };
  }
  const drift = woke.getTime() - scheduled.getTime();
  if (drift < -60_000) return { ...base, reason: 'manual', message: `woken ${seconds(-drift)} before the scheduled time (power button or reboot)` };
  if (drift > config.schedule.wakeToleranceMinutes * 60_000) {
    return { ...base, reason: 'manual', message: `started ${Math.round(drift / 60_000)} min after the scheduled wake (power restored, reboot, or by hand)` };
  }
  return { ...base, reason: 'rtc-alarm', driftSeconds: Math.round(drift / 1000), message: `woken by the RTC alarm, drift ${seconds(drift)}` };
}
