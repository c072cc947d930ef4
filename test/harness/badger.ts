import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import type { EmulatorOptions } from './badger/emulator.js';

/** The emulator (badger/emulator.ts) as a process of its own: starting it powers the board up, stop() cuts power. */
export interface EmulatedBadger {
  dir: string;
  /** What odbackup opens: one end of socat's pty pair. */
  port: string;
  events(): string[];
  /** The last refreshed screen as a PNG, if any. */
  screen(): Buffer | undefined;
  flash(name: string): string | undefined;
  /** Resolves when the emulator process ended (cable pulled, power cut). */
  exited: Promise<void>;
  stop(): Promise<void>;
}

const EMULATOR = join(ROOT, 'dist', 'test', 'harness', 'badger', 'emulator.js');

export async function startBadger(dir: string, options: Partial<Omit<EmulatorOptions, 'dir'>> = {}): Promise<EmulatedBadger> {
  const args = ['--dir', dir, '--api', options.api ?? 'new', '--firmware', options.firmware ?? 'current', '--refresh-ms', String(options.refreshMs ?? 200)];
  if (options.held?.length) args.push('--hold', options.held.join(','));
  if (options.main) args.push('--main', options.main);
  if (options.unplugAfter !== undefined) args.push('--unplug-after', String(options.unplugAfter));
  rmSync(join(dir, 'events.log'), { force: true });
  rmSync(join(dir, 'screen.png'), { force: true });
  const child = spawn(process.execPath, [EMULATOR, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Badger emulator did not start: ${stderr}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      const ready = /^ready (.+)$/m.exec(chunk.toString());
      if (ready) {
        clearTimeout(timer);
        resolve(ready[1]!);
      }
    });
    child.on('close', () => reject(new Error(`the Badger emulator ended: ${stderr}`)));
  });
  const read = (path: string) => (existsSync(path) ? readFileSync(path) : undefined);
  return {
    dir,
    port,
    events: () => read(join(dir, 'events.log'))?.toString().trim().split('\n') ?? [],
    screen: () => read(join(dir, 'screen.png')),
    flash: (name) => read(join(dir, 'flash', name))?.toString(),
    exited,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
