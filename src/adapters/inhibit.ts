/**
 * Holds a logind sleep inhibitor (`systemd-inhibit --mode=block … sleep infinity`) while the data steps run, so that
 * nothing suspends the node mid-transfer; released before the pass's own suspend, which it would otherwise block.
 * Without logind (a container, a test) it is simply not there: the pass goes on.
 */
export async function holdSleepInhibitor(program: string, why: string): Promise<{ release(): void }> {
  const { execa } = await import('execa');
  // A process group of its own: releasing ends systemd-inhibit and its `sleep` together.
  const child = execa(program, ['--what=sleep', '--mode=block', '--who=odbackup', `--why=${why}`, 'sleep', 'infinity'], { reject: false, stdio: 'ignore', detached: true });
  void child.catch(() => undefined);
  let released = false;
  return {
    release() {
      if (released || child.pid === undefined || child.exitCode !== null) return;
      released = true;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    },
  };
}
