import { existsSync } from 'node:fs';
import { exec, lastLine } from '../exec.js';

/** Never ask for a password on a terminal nobody watches. */
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', SSH_ASKPASS: 'true' };

export function mirrorArgs(url: string, directory: string): string[] {
  return existsSync(directory) ? ['-C', directory, 'remote', 'update', '--prune'] : ['clone', '--mirror', '--quiet', url, directory];
}

/** A first mirror of a large repository is slow; a fetch that takes longer than this is wedged. */
const GIT_MS = 2 * 3_600_000;

/** `git clone --mirror` the first time, `git remote update --prune` after. Returns an error line, or undefined. */
export async function updateMirror(git: string, url: string, directory: string, signal?: AbortSignal): Promise<string | undefined> {
  const result = await exec(git, mirrorArgs(url, directory), { signal, env: GIT_ENV, timeout: GIT_MS });
  if (result.exitCode === 0) return undefined;
  if (result.notFound) return 'git is not installed';
  return lastLine(result.stderr) || `git exit ${result.exitCode}`;
}
