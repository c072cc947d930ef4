import type { Programs } from '../config/types.js';
import { exec, lastLine } from '../exec.js';

/** `ssh-keyscan -T 5 -p 2222 host`: the host's public keys, asked once. */
export function keyscanArgs(host: string, port: number, seconds: number): string[] {
  return ['-T', String(seconds), '-p', String(port), host];
}

/** The host's keys as known_hosts lines (`host type key`), or why there are none. */
export async function scanHostKeys(programs: Programs, host: string, port: number, seconds: number): Promise<{ lines: string[] } | { error: string }> {
  const run = await exec(programs['ssh-keyscan'], keyscanArgs(host, port, seconds), { timeout: (seconds + 5) * 1000 });
  if (run.notFound) return { error: `${programs['ssh-keyscan']} is not installed (apt-get install openssh-client)` };
  const lines = run.stdout.split('\n').filter((line) => line && !line.startsWith('#'));
  return lines.length > 0 ? { lines } : { error: lastLine(run.stderr) || `no answer from ${host} port ${port}` };
}

/** `ssh-keygen -l -f -`: a key's fingerprint (`256 SHA256:… host (ED25519)`), read from standard input. */
export async function keyFingerprint(programs: Programs, knownHostsLine: string): Promise<string> {
  const run = await exec(programs['ssh-keygen'], ['-l', '-f', '-'], { timeout: 10_000, input: `${knownHostsLine}\n` });
  return run.exitCode === 0 ? run.stdout.trim() : `(no fingerprint: ${lastLine(run.stderr)})`;
}
