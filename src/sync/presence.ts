import { connect } from 'node:net';
import type { Config, RsyncSource } from '../config/types.js';
import { localTime } from '../power/schedule.js';
import { durationText } from '../words.js';
import type { PresenceRecord, State } from '../state/run-state.js';
import { snapshotDate } from '../store/snapshots.js';

/** The host of `[user@]host:/path` as written (a bracketed IPv6 address without its brackets). */
export function sourceHost(from: string): string {
  const host = from.slice(from.indexOf('@') + 1).replace(/:[^:]*$/, '');
  return host.replace(/^\[(.*)\]$/, '$1');
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'the name does not resolve',
  EAI_AGAIN: 'the name does not resolve',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'no route to host',
  ETIMEDOUT: 'no answer',
  ECONNRESET: 'the connection was reset',
};

/**
 * Whether a machine that comes and goes is here: its ssh server's banner ("SSH-2.0-…") read within `seconds`, once.
 * A TCP connect alone is not enough: a school's gateway or a hung laptop may accept and never answer. Returns why it
 * is away, in words, or undefined when it answered.
 */
export function awayReason(source: RsyncSource, seconds: number, signal?: AbortSignal): Promise<string | undefined> {
  const host = sourceHost(source.from);
  const port = source.ssh?.port ?? 22;
  return new Promise((resolve) => {
    let heard = '';
    const socket = connect({ host, port });
    const finish = (reason: string | undefined) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', stop);
      socket.destroy();
      resolve(reason === undefined ? undefined : `${host} port ${port}: ${reason}`);
    };
    const stop = () => finish('the probe was stopped');
    const timer = setTimeout(() => finish(`no ssh banner within ${seconds} s`), seconds * 1000);
    signal?.addEventListener('abort', stop, { once: true });
    socket.on('data', (chunk: Buffer) => {
      heard += chunk.toString('latin1');
      if (heard.length < 4 && !heard.includes('\n')) return;
      finish(heard.startsWith('SSH-') ? undefined : 'something answered, but not an ssh server');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => finish(REASONS[error.code ?? ''] ?? error.code ?? error.message));
    socket.on('end', () => finish('the connection was closed without an ssh banner'));
  });
}

/** A source that comes and goes, found away by this pass: a note, not a failure. */
export interface AwaySource {
  source: string;
  since: string;
  reason: string;
}

/**
 * Why a source that comes and goes has been away too long: its newest complete snapshot (or, never saved, its
 * first try) is more than overdueDays × 24 hours old. Undefined while it is not overdue.
 */
export function overdueText(source: RsyncSource & { overdueDays: number }, record: PresenceRecord, latest: string | undefined, now: Date): string | undefined {
  const last = latest ? snapshotDate(latest) : new Date(record.firstTried);
  if (now.getTime() - last.getTime() <= source.overdueDays * 24 * 3_600_000) return undefined;
  const since = latest ? `last saved ${durationText(now.getTime() - last.getTime())} ago (${localTime(last)})` : `never saved, first tried ${durationText(now.getTime() - last.getTime())} ago`;
  return `${source.name} is overdue: ${since}, more than its overdueDays of ${source.overdueDays}; away since ${localTime(new Date(record.awaySince ?? now))}: ${record.awayReason ?? 'not reached'}`;
}

/** What the state says of a source that comes and goes: for status, the heartbeat, the e-ink and the catalog. */
export interface SourcePresence {
  source: string;
  /** The newest snapshot the state records as complete and promoted. */
  lastSaved?: string;
  away: boolean;
  overdue: boolean;
  /** "away since 2026-12-07 11:30 EET (connection refused); last saved 3 days ago", with "overdue" when it is. */
  text: string;
}

export function sourcePresence(config: Config, state: State, now: Date): SourcePresence[] {
  return config.sources.flatMap((source) => {
    if (source.kind !== 'rsync' || source.overdueDays === undefined) return [];
    const record = state.presence?.[source.name];
    const pulled = state.sources?.[source.name];
    const lastSaved = pulled?.promoted ? pulled.snapshot : Object.keys(state.snapshots?.[source.name] ?? {}).sort().at(-1);
    const away = record?.awaySince !== undefined;
    const overdue = Boolean(record && away && overdueText({ ...source, overdueDays: source.overdueDays }, record, lastSaved, now));
    const saved = lastSaved ? `last saved ${durationText(now.getTime() - snapshotDate(lastSaved).getTime())} ago (${localTime(snapshotDate(lastSaved))})` : 'never saved';
    const where = away ? `away since ${localTime(new Date(record!.awaySince!))} (${record!.awayReason}); ` : record ? '' : 'not tried yet; ';
    return [{ source: source.name, lastSaved, away, overdue, text: `${where}${saved}${overdue ? ` — overdue (more than ${source.overdueDays} days)` : ''}` }];
  });
}
