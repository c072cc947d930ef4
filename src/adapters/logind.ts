import { exec } from '../exec.js';

export interface Session {
  id: string;
  user: string;
  remote: boolean;
  state: string;
}

/**
 * The user sessions logind knows (REFERENCE §6.2): the session list, then each session's Class, so that manager
 * and greeter sessions do not count; the plain listing works on systemd 252 (Debian 12) and 257 (Debian 13) alike.
 */
export async function userSessions(loginctl: string): Promise<Session[] | { error: string }> {
  const list = await exec(loginctl, ['list-sessions', '--no-legend', '--no-pager'], { timeout: 10_000 });
  if (list.exitCode !== 0) return { error: list.notFound ? `${loginctl} not found` : list.stderr.trim() || `${loginctl} exit ${list.exitCode}` };
  const ids = list.stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0])
    .filter((id): id is string => Boolean(id));
  const sessions: Session[] = [];
  for (const id of ids) {
    const show = await exec(loginctl, ['show-session', id, '--property=Class', '--property=Name', '--property=Remote', '--property=State', '--no-pager'], {
      timeout: 10_000,
    });
    if (show.exitCode !== 0) continue; // closed in the meantime
    const property = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(show.stdout)?.[1] ?? '';
    if (property('Class') !== 'user' || property('State') === 'closing') continue;
    sessions.push({ id, user: property('Name'), remote: property('Remote') === 'yes', state: property('State') });
  }
  return sessions;
}
