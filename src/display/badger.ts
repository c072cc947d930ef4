import { closeSerial, openSerial } from '../adapters/serial.js';
import { installProgram, showProgram } from './programs.js';
import { RawRepl, ReplError, shown, type ReplOutput } from './raw-repl.js';
import type { ScreenStatus } from './screens.js';

/**
 * What odbackup does with the Badger: one conversation per call, at most `timeoutMs` from opening the port to
 * closing it. The port is always closed; the board is left in its friendly REPL with the new screen on it.
 */
async function converse(path: string, timeoutMs: number, signal: AbortSignal | undefined, program: string): Promise<ReplOutput> {
  const deadline = Date.now() + timeoutMs;
  const port = await openSerial(path, timeoutMs);
  try {
    const repl = new RawRepl(port, deadline, signal);
    await repl.enter();
    // A clean interpreter (the launcher we interrupted may hold most of the 192 KiB); main.py does not run again.
    await repl.softReset();
    const result = await repl.exec(program);
    await repl.leave();
    return result;
  } finally {
    await closeSerial(port);
  }
}

/** The last line a board program printed, as JSON. */
function answerOf<T>(result: ReplOutput): T {
  const line = result.stdout.trim().split(/\r?\n/).at(-1) ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new ReplError(`the Badger answered something that is not odbackup's: "${shown(Buffer.from(line))}"`, Buffer.from(result.stdout));
  }
}

export interface Shown {
  /** Buttons held while the screen was drawn (A, B, C, UP, DOWN). */
  held: string[];
  mode: ReplOutput['mode'];
}

/** Draws a status on the Badger and stores it there for main.py. */
export async function showOnBadger(path: string, timeoutMs: number, status: ScreenStatus, signal?: AbortSignal): Promise<Shown> {
  const result = await converse(path, timeoutMs, signal, showProgram(status));
  const { held } = answerOf<{ held: string[] }>(result);
  return { held, mode: result.mode };
}

/** Puts the screen program and main.py on the Badger's flash; names the file a replaced main.py was kept in. */
export async function installOnBadger(path: string, timeoutMs: number, signal?: AbortSignal): Promise<{ kept: string | null }> {
  return answerOf<{ kept: string | null }>(await converse(path, timeoutMs, signal, installProgram()));
}
