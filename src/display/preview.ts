import { createRequire } from 'node:module';
import { standInModule } from './programs.js';

export const WIDTH = 296;
export const HEIGHT = 128;

/**
 * Runs the board program in real MicroPython (WebAssembly) with the badger2040 stand-in; returns the screen as
 * 1-bit rows (MONO_HLSB, a set bit is black).
 */
export async function renderScreen(program: string, api: 'old' | 'new'): Promise<Uint8Array> {
  // A Python error throws (PythonError, with the traceback); the program's printed output is not wanted here.
  // Loaded when a screen is drawn, not at every start of the CLI (like pngjs below).
  const { loadMicroPython } = await import('@micropython/micropython-webassembly-pyscript');
  const mp = await loadMicroPython({ stdout: () => undefined });
  mp.FS.writeFile('/badger2040.py', standInModule());
  mp.runPython(`import sys\nsys.path.insert(0, '/')\nimport badger2040\nbadger2040.API = ${JSON.stringify(api)}`);
  mp.runPython(program);
  mp.runPython('import binascii\nscreen_hex = binascii.hexlify(badger2040.SCREEN).decode()');
  const hex = mp.globals.get('screen_hex') as string;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function isBlack(screen: Uint8Array, x: number, y: number): boolean {
  return ((screen[(y * WIDTH + x) >> 3]! >> (7 - (x & 7))) & 1) === 1;
}

const require = createRequire(import.meta.url);

export function pngOf(screen: Uint8Array): Buffer {
  const pngjs = require('pngjs') as typeof import('pngjs');
  const png = new pngjs.PNG({ width: WIDTH, height: HEIGHT });
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const offset = (y * WIDTH + x) * 4;
      const value = isBlack(screen, x, y) ? 0 : 255;
      png.data[offset] = value;
      png.data[offset + 1] = value;
      png.data[offset + 2] = value;
      png.data[offset + 3] = 255;
    }
  }
  return pngjs.PNG.sync.write(png);
}
