import { exec, lastLine } from '../exec.js';

/** `systemctl <args>`: undefined when it worked, else what went wrong in one line. */
export async function systemctl(program: string, args: readonly string[]): Promise<string | undefined> {
  const result = await exec(program, args, { timeout: 60_000 });
  if (result.notFound) return `${program} not found (no systemd on this machine?)`;
  return result.exitCode === 0 ? undefined : lastLine(result.stderr) || `systemctl ${args.join(' ')}: exit ${result.exitCode}`;
}
