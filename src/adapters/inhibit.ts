import { startBackground } from '../exec.js';

/** Longer than any pass's data steps; a forgotten inhibitor must not keep the node from sleeping for ever. */
const INHIBIT_MS = 24 * 3_600_000;

/**
 * Holds a logind sleep inhibitor (`systemd-inhibit --mode=block … sleep infinity`) while the data steps run, so that
 * nothing suspends the node mid-transfer; released before the pass's own suspend, which it would otherwise block.
 * Without logind (a container, a test) it is simply not there: the pass goes on.
 */
export async function holdSleepInhibitor(program: string, why: string): Promise<{ release(): void }> {
  const inhibitor = await startBackground(program, ['--what=sleep', '--mode=block', '--who=odbackup', `--why=${why}`, 'sleep', 'infinity'], INHIBIT_MS);
  return { release: () => inhibitor.stop() };
}
