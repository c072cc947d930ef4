import { clockTrust } from '../health/clock.js';
import { failed, ok, type Step } from './types.js';

const ACTIONS = ['show', 'accept'] as const;

/**
 * `clock`: whether the pass will trust the system clock (SPEC §7); `clock accept`: the operator's word that it is
 * right, after a bad RTC ran it ahead (without NTP, every later pass would otherwise fail 15 for ever).
 */
export const clockStep: Step = {
  name: 'clock',
  summary: 'show whether the clock is trusted (show), or accept the current time after a bad RTC ran the clock ahead (accept)',
  arguments: [{ name: 'action', description: ACTIONS.join(' | '), choices: ACTIONS }],
  locked: true,
  async run(ctx, { args: [action = 'show'] }) {
    const trust = () => clockTrust(ctx.config.system.root, ctx.state.read(), ctx.now());
    if (action === 'accept') {
      if (ctx.dryRun) return ok(`would accept ${ctx.now().toISOString()} as the time`);
      const marked = ctx.state.acceptClock(ctx.now());
      const after = trust();
      if (!after.trusted) return failed('clockUntrusted', `still not trusted: ${after.message}`, 'set the time (`timedatectl set-time`, NTP) first');
      return ok(`${ctx.now().toISOString()} accepted: ${marked} pass${marked === 1 ? '' : 'es'} recorded while the clock was ahead no longer count`);
    }
    const now = trust();
    return now.trusted ? ok(`trusted: ${now.message}`, now) : failed('clockUntrusted', now.message, 'if the time is right now, `odbackup clock accept`', now);
  },
};
