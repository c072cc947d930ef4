import { pause } from '../pause.js';
import { counted } from '../words.js';
import { userSessions, type Session } from '../adapters/logind.js';
import { exec, lastLine } from '../exec.js';
import { serviceState } from '../health/network.js';
import type { Warning } from '../state/run-state.js';
import { showScreen } from '../display/show.js';
import { failed, ok, skipped, type Context, type Step } from './types.js';

interface MaintenanceOptions {
  dryRun?: boolean;
}

const describe = (sessions: Session[]) => sessions.map((session) => `${session.user} (session ${session.id}${session.remote ? ', remote' : ''})`).join(', ');

/**
 * Maintenance mode (SPEC §1): ssh up, then awake while a user session exists, looking every checkMinutes (the first
 * look after that long too, so that someone who pressed the power button has time to log in), at most maxHours;
 * then ssh goes back to how it was.
 */
async function holdForUsers(ctx: Context): Promise<{ checks: number; seen: string[]; problem?: string; reason: string }> {
  const { checkMinutes, maxHours } = ctx.config.maintenance;
  const deadline = Date.now() + maxHours * 3_600_000;
  const seen = new Set<string>();
  let checks = 0;
  for (;;) {
    // ctx.signal: run by hand, the first Ctrl-C ends it; in a pass, an always-run step gets the final signal here.
    await pause(checkMinutes * 60_000, ctx.signal);
    if (ctx.signal.aborted) return { checks, seen: [...seen], reason: 'stopped by a signal' };
    checks += 1;
    const sessions = await userSessions(ctx.config.system.programs.loginctl);
    if ('error' in sessions) return { checks, seen: [...seen], problem: `cannot list user sessions: ${sessions.error}`, reason: 'user sessions unknown' };
    if (sessions.length === 0) return { checks, seen: [...seen], reason: 'no user logged in' };
    for (const session of sessions) seen.add(session.user);
    ctx.log.info(`maintenance: ${describe(sessions)} logged in; looking again in ${checkMinutes} min`);
    if (Date.now() >= deadline) return { checks, seen: [...seen], reason: `still logged in after ${maxHours} h: going to sleep anyway` };
  }
}

export const maintenanceStep: Step<MaintenanceOptions> = {
  name: 'maintenance',
  summary: 'maintenance mode: start ssh, stay awake while a user is logged in, then stop ssh again',
  options: [{ flags: '--dry-run', description: 'say whether maintenance would be entered and why; start nothing' }],
  locked: false,
  async run(ctx) {
    // In a pass: only when something asked for it. By hand: because the operator asked.
    const reasons = ctx.pass ? (ctx.pass.maintenanceRequests ?? []) : ['asked on the command line'];
    if (reasons.length === 0) return skipped('not requested');
    const why = reasons.join('; ');
    if (ctx.dryRun) return ok(`would enter maintenance mode: ${why}`);
    const { systemctl } = ctx.config.system.programs;
    const unit = ctx.config.check.sshService;
    ctx.log.notice(`maintenance mode: ${why}`);
    const problems: string[] = [];
    const before = await serviceState(systemctl, unit);
    const startSsh = before !== 'active';
    // Started by us, and so stopped by us: only when `systemctl start` said it worked.
    let sshStarted = false;
    if (startSsh) {
      const started = await exec(systemctl, ['start', unit], { timeout: 60_000 });
      sshStarted = started.exitCode === 0;
      if (!sshStarted) problems.push(`systemctl start ${unit}: ${lastLine(started.stderr) || `exit ${started.exitCode}`}`);
    }
    // The e-ink says so, for whoever walks up to the node; a display that does not answer is only a warning.
    const screen = await showScreen(ctx, 'maintenance');
    const warnings: Warning[] = screen.status === 'failed' ? [{ code: screen.code!, message: `maintenance screen: ${screen.message}` }] : [];
    const held = await holdForUsers(ctx);
    if (held.problem) problems.push(held.problem);
    if (sshStarted) {
      const stopped = await exec(systemctl, ['stop', unit], { timeout: 60_000 });
      if (stopped.exitCode !== 0) problems.push(`systemctl stop ${unit}: ${lastLine(stopped.stderr) || `exit ${stopped.exitCode}`}`);
    }
    const ssh = sshStarted ? `${unit} started and stopped again` : startSsh ? `${unit} was not running and could not be started` : `${unit} was already running and stays`;
    const summary = `maintenance (${why}) ended after ${counted(held.checks, 'check')}: ${held.reason}${held.seen.length ? `; logged in were ${held.seen.join(', ')}` : ''}; ${ssh}`;
    const data = { reasons, ...held, sshStarted };
    if (problems.length) return { ...failed('maintenanceFailed', `${summary}; ${problems.join('; ')}`, undefined, data), warnings };
    return ok(summary, data, warnings);
  },
};
