import { resolve } from 'node:path';
import { findBadger, SerialError } from '../adapters/serial.js';
import { installOnBadger, showOnBadger } from '../display/badger.js';
import { pngOf, renderScreen } from '../display/preview.js';
import { showProgram } from '../display/programs.js';
import { ReplError, shown } from '../display/raw-repl.js';
import { SCREENS, screenFor, type ScreenName, type ScreenStatus } from '../display/screens.js';
import { writeFileAtomic } from '../state/atomic.js';
import { failed, ok, skipped, type Context, type Step, type StepResult } from './types.js';

interface DisplayOptions {
  code?: string;
  text?: string;
  preview?: string;
  api?: 'old' | 'new';
  port?: string;
}

const ACTIONS = [...SCREENS, 'install'] as const;
const UNREACHABLE_HINT = 'unplug and replug the Badger, or press RESET on its back; display.port "none" if this node has none';

/** Runs the board program in MicroPython here and writes the screen as a PNG (atomically: a viewer never sees half). */
async function writePreview(status: ScreenStatus, file: string, api: 'old' | 'new'): Promise<void> {
  writeFileAtomic(file, pngOf(await renderScreen(showProgram(status), api)));
}

/** The Badger's port: --port, else display.port; "auto" looks for it by USB id. A failed result when there is none. */
async function badgerPort(ctx: Context, option: string | undefined): Promise<string | StepResult> {
  const port = option ?? ctx.config.display.port;
  if (port !== 'auto') return port;
  return (
    (await findBadger(ctx.config.system.root)) ??
    failed('displayUnreachable', 'no Badger 2040 found: no /dev/serial/by-id/usb-MicroPython_* and no USB device 2e8a:0005', 'is it plugged in? display.port names it if it has another id')
  );
}

/** Errors of the port and of the conversation are the display's (60); anything else is a bug and goes on up. */
function unreachable(port: string, error: unknown): StepResult {
  if (!(error instanceof ReplError || error instanceof SerialError)) throw error;
  const received = error instanceof ReplError && error.received.length > 0 ? [`received: "${shown(error.received)}"`] : undefined;
  return { status: 'failed', code: 'displayUnreachable', message: `${port}: ${error.message}`, hint: UNREACHABLE_HINT, details: received };
}

/** Draws a screen on the Badger (and the configured preview). Used by `display` and by the maintenance step. */
export async function showScreen(ctx: Context, name: ScreenName, options: DisplayOptions = {}): Promise<StepResult> {
  const status = await screenFor(ctx, name, options);
  const { display } = ctx.config;
  const api = options.api ?? display.api;
  if (options.preview) {
    const file = resolve(options.preview);
    await writePreview(status, file, api);
    return ok(`${status.state} screen written to ${file}`, { status, preview: file });
  }
  if (display.preview && !ctx.dryRun) await writePreview(status, display.preview, api);
  const previewNote = display.preview ? `; preview ${display.preview}` : '';
  if ((options.port ?? display.port) === 'none') {
    return display.preview ? ok(`${status.state} screen written to ${display.preview} (no Badger on this node)`, { status }) : skipped('no display on this node (display.port is "none")');
  }
  const port = await badgerPort(ctx, options.port);
  if (typeof port !== 'string') return port;
  if (ctx.dryRun) return ok(`would draw ${status.state} on the Badger at ${port}`, { status, port });
  try {
    const drawn = await showOnBadger(port, display.timeoutSeconds * 1000, status, ctx.signal);
    const held = drawn.held.length ? `; button ${drawn.held.join('+')} held` : '';
    const result = ok(`${status.state} shown on the Badger at ${port}${held}${previewNote}`, { status, port, held: drawn.held, protocol: drawn.mode });
    // A button held while the start screen is drawn is the Badger's way to ask for maintenance mode (SPEC §1).
    if (name === 'start' && drawn.held.length) result.maintenanceRequest = `button ${drawn.held.join('+')} held on the Badger`;
    return result;
  } catch (error) {
    return unreachable(port, error);
  }
}

async function install(ctx: Context, option: string | undefined): Promise<StepResult> {
  if ((option ?? ctx.config.display.port) === 'none') return failed('usage', 'display.port is "none": give the Badger with --port');
  const port = await badgerPort(ctx, option);
  if (typeof port !== 'string') return port;
  try {
    const { kept } = await installOnBadger(port, ctx.config.display.timeoutSeconds * 1000, ctx.signal);
    const before = kept ? `; the main.py that was there is kept as ${kept}` : '';
    return ok(`installed odbackup_screen.py and main.py on the Badger at ${port}: at power-up it redraws the last status${before}`, { port, kept });
  } catch (error) {
    return unreachable(port, error);
  }
}

export const displayStep: Step<DisplayOptions> = {
  name: 'display',
  summary: 'draw a status screen on the Badger (start, failed, ready, maintenance, message), or install its power-up redraw',
  arguments: [{ name: 'screen', description: ACTIONS.join(' | '), required: true, choices: ACTIONS }],
  options: [
    { flags: '--code <n>', description: 'the exit code a failed screen shows (default: the pass\'s)' },
    { flags: '--text <text>', description: 'the step/source of a failed screen, or the text of a message' },
    { flags: '--port <path>', description: 'the Badger\'s serial device (default: display.port; auto finds it by USB id)' },
    { flags: '--preview <file.png>', description: 'only render the screen to a PNG, in MicroPython (WebAssembly) on this machine' },
    { flags: '--api <old|new>', description: 'which badger2040 API the preview emulates (default: display.api)' },
  ],
  locked: false,
  async run(ctx, { args: [name], options }) {
    if (options.api !== undefined && options.api !== 'old' && options.api !== 'new') return failed('usage', `--api must be old or new, not "${options.api}"`);
    if (name === 'install') return install(ctx, options.port);
    return showScreen(ctx, name as ScreenName, options);
  },
};
