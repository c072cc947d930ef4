import { existsSync } from 'node:fs';
import { exec, lastLine } from '../exec.js';

/** Never ask for a password on a terminal nobody watches. */
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', SSH_ASKPASS: 'true' };

/** The mirror's directory name: the URL's last path part, `https://host/org/site.git` → `site.git`. */
export function mirrorName(url: string): string {
  const last = url.replace(/\/+$/, '').split(/[/:]/).at(-1)!.replace(/\.git$/, '');
  return `${last.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+/, '') || 'repository'}.git`;
}

export function mirrorArgs(url: string, directory: string): string[] {
  return existsSync(directory) ? ['-C', directory, 'remote', 'update', '--prune'] : ['clone', '--mirror', '--quiet', url, directory];
}

/** `git clone --mirror` the first time, `git remote update --prune` after. Returns an error line, or undefined. */
export async function updateMirror(url: string, directory: string, signal?: AbortSignal, git = 'git'): Promise<string | undefined> {
  const result = await exec(git, mirrorArgs(url, directory), { signal, env: GIT_ENV });
  if (result.exitCode === 0) return undefined;
  if (result.notFound) return 'git is not installed';
  return lastLine(result.stderr) || `git exit ${result.exitCode}`;
}
