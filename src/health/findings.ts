import type { Context } from '../context.js';
import type { ExitCodeName } from '../exit-codes.js';
import { internetReachable, serviceState } from './network.js';

/** One fact of the hardware check (SPEC §7), with its level and, when it matters, its exit code. */
export interface Finding {
  check: 'storage' | 'smart' | 'temperature' | 'free space' | 'clock' | 'sleep programs' | 'internet' | 'address' | 'ssh';
  level: 'ok' | 'info' | 'warning' | 'fatal';
  code?: ExitCodeName;
  message: string;
}

/** Where to test the internet: the configured URL, else the first monitor's or alert target's origin. */
function internetUrl(ctx: Context): string | undefined {
  const { check, heartbeat, notify } = ctx.config;
  const first = heartbeat.monitors[0]?.url ?? notify.targets[0]?.url;
  return check.internetUrl ?? (first && `${new URL(first).origin}/`);
}

export async function internetFinding(ctx: Context): Promise<Finding> {
  const url = internetUrl(ctx);
  if (!url) return { check: 'internet', level: 'info', message: 'not tested (no check.internetUrl and no monitor)' };
  const answer = await internetReachable(url, { timeoutMs: 5000, retries: 1, signal: ctx.signal });
  if (answer.reachable) return { check: 'internet', level: 'ok', message: `${new URL(url).host} answers` };
  return {
    check: 'internet',
    level: ctx.config.check.internetRequired ? 'fatal' : 'warning',
    code: 'networkDown',
    message: `${new URL(url).host}: ${answer.error}`,
  };
}

export async function sshFinding(ctx: Context): Promise<Finding> {
  const state = await serviceState(ctx.config.system.programs.systemctl, ctx.config.check.sshService);
  return { check: 'ssh', level: 'info', message: `${ctx.config.check.sshService} ${state}` };
}
