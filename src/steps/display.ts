import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { drawProgram, pngOf, renderScreen } from '../display/preview.js';
import { SCREENS, screenFor, type ScreenName } from '../display/screens.js';
import { failed, ok, type Step } from './types.js';

interface DisplayOptions {
  code?: string;
  text?: string;
  preview?: string;
  api?: 'old' | 'new';
}

export const displayStep: Step<DisplayOptions> = {
  name: 'display',
  summary: 'draw a status screen (start, failed, ready, maintenance, message); --preview renders it to a PNG',
  arguments: [{ name: 'screen', description: SCREENS.join(' | '), required: true, choices: SCREENS }],
  options: [
    { flags: '--code <n>', description: 'the exit code a failed screen shows (default: the pass\'s)' },
    { flags: '--text <text>', description: 'the step/source of a failed screen, or the text of a message' },
    { flags: '--preview <file.png>', description: 'run the board program in MicroPython (WebAssembly) and write the screen as a PNG' },
    { flags: '--api <old|new>', description: 'which badger2040 API the preview emulates', defaultValue: 'new' },
  ],
  locked: false,
  async run(ctx, { args: [name], options }) {
    if (options.api !== 'old' && options.api !== 'new') return failed('usage', `--api must be old or new, not "${options.api}"`);
    // The serial transport to the Badger is not part of this build yet: the preview is the one output.
    if (!options.preview) return failed('usage', 'display needs --preview <file.png> in this version (the Badger over USB serial is not built yet)');
    const status = await screenFor(ctx, name as ScreenName, options);
    const screen = await renderScreen(drawProgram(status), options.api);
    const file = resolve(options.preview);
    writeFileSync(file, pngOf(screen));
    return ok(`${status.state} screen written to ${file}`, { status, preview: file });
  },
};
