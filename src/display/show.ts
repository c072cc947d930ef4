import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { findBadger, SerialError } from '../adapters/serial.js';
import type { Context } from '../context.js';
import { internetFinding, sshFinding } from '../health/findings.js';
import { localAddress } from '../health/network.js';
import { scheduledWake } from '../power/schedule.js';
import { sourcePresence } from '../sync/presence.js';
import { failed, ok, skipped, type StepResult } from '../result.js';
import { writeFileAtomic } from '../state/atomic.js';
import { failureCodeOf, requestsOfPass } from '../state/run-state.js';
import { EXIT_CODES } from '../exit-codes.js';
import { installOnBadger, showOnBadger } from './badger.js';
import { pngOf, renderScreen } from './preview.js';
import { showProgram } from './programs.js';
import { ReplError, shown } from './raw-repl.js';
import { FAILURE_DEFAULT, NETWORK_SCREENS, screenFor, type ScreenFacts, type ScreenName, type ScreenStatus } from './screens.js';

/** Drawing a screen for a step: the facts gathered, the Badger found, its errors turned into warning 60. */
export interface DisplayOptions {
  code?: number;
  text?: string;
  preview?: string;
  api?: 'old' | 'new';
  port?: string;
}

const UNREACHABLE_HINT = 'unplug and replug the Badger, or press RESET on its back; display.port "none" if this node has none';

/** What the screen shows, asked of the machine and the pass (the network only for the screens that show it). */
async function screenFacts(ctx: Context, name: ScreenName, code: number | undefined): Promise<ScreenFacts> {
  const failure = ctx.pass?.firstFailure;
  const facts: ScreenFacts = {
    node: ctx.config.node,
    now: ctx.now(),
    address: localAddress(),
    failure: { code: String(code ?? failureCodeOf(ctx.pass)), what: failure?.source ?? failure?.step ?? FAILURE_DEFAULT },
    warnings: ctx.pass?.warnings.length ?? 0,
    restored: requestsOfPass(ctx.state.read(), ctx.pass).done,
    away: sourcePresence(ctx.config, ctx.state.read(), ctx.now()).filter((source) => source.away).length,
    powerRestored: ctx.pass?.wake?.reason === 'power-restored',
    wake: scheduledWake(ctx.config, ctx.now(), ctx.state.read()),
  };
  if (NETWORK_SCREENS.includes(name)) {
    const [internet, ssh] = await Promise.all([internetFinding(ctx), sshFinding(ctx)]);
    facts.network = {
      internet: internet.level === 'ok' ? 'OK' : internet.level === 'info' ? '-' : 'FAIL',
      ssh: ssh.message.endsWith(' active') ? 'OK' : 'FAIL',
    };
  }
  return facts;
}

/**
 * Runs the board program in MicroPython here and writes the screen as a PNG (atomically: a viewer never sees half),
 * creating its folder. A preview that cannot be written is the display's failure (60), named with the file.
 */
async function writePreview(status: ScreenStatus, file: string, api: 'old' | 'new'): Promise<StepResult | undefined> {
  const png = pngOf(await renderScreen(showProgram(status), api));
  try {
    // Its own folder only: recursive mkdir loops forever on some paths under /proc (node 20).
    if (!existsSync(dirname(file))) mkdirSync(dirname(file));
    writeFileAtomic(file, png);
    return undefined;
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (!code) throw error;
    return failed('displayUnreachable', `cannot write the preview ${file}: ${code}`, 'is the preview path (--preview, display.preview) a file in a writable folder?');
  }
}

/** The Badger's port: --port, else display.port; "auto" looks for it by USB id. A failed result when there is none. */
async function badgerPort(ctx: Context, option: string | undefined): Promise<string | StepResult> {
  const port = option ?? ctx.config.display.port;
  if (port !== 'auto') return port;
  return (
    (await findBadger(ctx.config.system.root)) ??
    failed(
      'displayUnreachable',
      'no Badger 2040 found: no /dev/serial/by-id/usb-MicroPython_* and no USB device 2e8a:0005',
      'is it plugged in? display.port names it if it has another id',
    )
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
  const { display } = ctx.config;
  // Nothing to draw on and nothing to render: the facts (a network check) are not even gathered.
  if ((options.port ?? display.port) === 'none' && !options.preview && !display.preview) return skipped('no display on this node (display.port is "none")');
  if (name === 'message' && !options.text) return failed('usage', 'display message needs the words to show: --text "…"');
  if (name === 'failed' && options.code === undefined && !ctx.pass) {
    // By hand: the newest pass's failure, or nothing to show (FAILED (1) would say odbackup has a bug).
    const failure = ctx.state.read().passes[0]?.firstFailure;
    if (!failure) return failed('usage', 'the last pass did not fail: give the code to show with --code N (and what failed with --text)');
    options = { ...options, code: EXIT_CODES[failure.code].code, text: options.text ?? failure.source ?? failure.step };
  }
  const status = screenFor(await screenFacts(ctx, name, options.code), name, options.text);
  const api = options.api ?? display.api;
  if (options.preview) {
    const file = resolve(options.preview);
    const refused = await writePreview(status, file, api);
    if (refused) return refused;
    return ok(`${status.state} screen written to ${file}`, { status, preview: file });
  }
  const refused = display.preview && !ctx.dryRun ? await writePreview(status, display.preview, api) : undefined;
  if (refused) return refused;
  const previewNote = display.preview ? `; preview ${display.preview}` : '';
  if ((options.port ?? display.port) === 'none') {
    return display.preview
      ? ok(`${status.state} screen (${status.lines[0] ?? ''}) ${ctx.dryRun ? 'would be written' : 'written'} to ${display.preview} (no Badger on this node)`, { status })
      : skipped('no display on this node (display.port is "none")');
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

export async function installScreen(ctx: Context, option: string | undefined): Promise<StepResult> {
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
