import { SCREENS, type ScreenName } from '../display/screens.js';
import { installScreen, showScreen, type DisplayOptions } from '../display/show.js';
import type { Step } from './types.js';

const ACTIONS = [...SCREENS, 'install'] as const;

export const displayStep: Step<DisplayOptions> = {
  name: 'display',
  summary: 'draw a status screen on the Badger (start, failed, ready, maintenance, message), or install its power-up redraw',
  arguments: [{ name: 'screen', description: ACTIONS.join(' | '), required: true, choices: ACTIONS }],
  options: [
    { flags: '--code <n>', description: "the exit code a failed screen shows (default: the pass's)", integer: { min: 1, max: 255 } },
    { flags: '--text <text>', description: 'the step/source of a failed screen, or the text of a message' },
    { flags: '--port <path>', description: "the Badger's serial device (default: display.port; auto finds it by USB id)" },
    { flags: '--preview <file.png>', description: 'only render the screen to a PNG, in MicroPython (WebAssembly) on this machine' },
    { flags: '--api <api>', description: 'which badger2040 API the preview emulates (default: display.api)', choices: ['old', 'new'] },
  ],
  locked: false,
  async run(ctx, { args: [name], options }) {
    if (name === 'install') return installScreen(ctx, options.port);
    return showScreen(ctx, name as ScreenName, options);
  },
};
