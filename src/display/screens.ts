import { EXIT_CODES } from '../exit-codes.js';
import { localAddress } from '../health/network.js';
import { localTime } from '../power/schedule.js';
import { internetFinding, sshFinding } from '../steps/check.js';
import { scheduledWake } from '../steps/suspend.js';
import type { Context } from '../steps/types.js';

export const SCREENS = ['start', 'failed', 'ready', 'maintenance', 'message'] as const;
export type ScreenName = (typeof SCREENS)[number];

/** What the board program draws: the node, when, the state in large type, up to four lines. */
export interface ScreenStatus {
  node: string;
  time: string;
  state: string;
  lines: string[];
}

/** After the next wake plus this long, a READY screen is stale: the node should have redrawn it by then. */
const VALID_GRACE_HOURS = 6;

/** "11-23 03:00": short enough for a line of large type on 296 pixels. */
const short = (date: Date) => localTime(date).replace(/^\d{4}-/, '').replace(/ \S+$/, '');

async function networkLines(ctx: Context): Promise<string[]> {
  const [internet, ssh] = await Promise.all([internetFinding(ctx), sshFinding(ctx)]);
  const word = (ok: boolean) => (ok ? 'OK' : 'FAIL');
  return [`IP ${localAddress() ?? 'none'}`, `net ${internet.level === 'ok' ? 'OK' : internet.level === 'info' ? '-' : 'FAIL'}  ssh ${word(ssh.message.endsWith(' active'))}`];
}

export async function screenFor(ctx: Context, name: ScreenName, options: { code?: string; text?: string }): Promise<ScreenStatus> {
  const base = { node: ctx.config.node, time: localTime(ctx.now()).replace(/^\d{4}-/, '') };
  switch (name) {
    case 'start':
      return { ...base, state: 'START', lines: await networkLines(ctx) };
    case 'failed': {
      const failure = ctx.pass?.firstFailure;
      const code = options.code ?? String(failure ? EXIT_CODES[failure.code].code : 1);
      return { ...base, state: `FAILED (${code})`, lines: [options.text ?? failure?.step ?? 'see odbackup status', ...(await networkLines(ctx))] };
    }
    case 'ready': {
      const wake = scheduledWake(ctx);
      const validUntil = new Date(wake.getTime() + VALID_GRACE_HOURS * 3_600_000);
      const warnings = ctx.pass?.warnings.length ?? 0;
      return {
        ...base,
        state: 'BACKUP READY',
        lines: [`SLEEPING...${warnings ? ` (${warnings} warn)` : ''}`, `wake ${short(wake)}`, `valid ${short(validUntil)}`, `IP ${localAddress() ?? 'none'}`],
      };
    }
    case 'maintenance':
      return { ...base, state: 'MAINTENANCE', lines: [`IP ${localAddress() ?? 'none'}`, 'ssh open'] };
    case 'message':
      return { ...base, state: options.text ?? '', lines: [] };
  }
}
