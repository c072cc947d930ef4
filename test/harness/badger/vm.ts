/**
 * The Badger's interpreter, in a worker thread: real MicroPython (WebAssembly) with the badger2040 stand-in and a
 * flash filesystem mirrored to a host directory. A program runs synchronously here while the emulator's main thread
 * keeps reading the serial port; Ctrl-C reaches the program through a shared flag that the stand-in's waits look at
 * (refresh, halt), which then raise KeyboardInterrupt the way the firmware does.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { loadMicroPython } from '@micropython/micropython-webassembly-pyscript';
import { standInModule } from '../../../src/display/programs.js';

export interface VmData {
  flash: string;
  api: 'old' | 'new';
  refreshMs: number;
  /** Pins of the buttons held down. */
  held: number[];
  /** Int32 [0]: 1 when Ctrl-C arrived during a program. */
  interrupt: SharedArrayBuffer;
}

export type VmMessage = { type: 'stdout'; bytes: Uint8Array } | { type: 'screen'; hex: string } | { type: 'done'; traceback?: string };

const data = workerData as VmData;
const interrupt = new Int32Array(data.interrupt);
const host = parentPort!;
const FLASH = '/flash';

const mp = await loadMicroPython({ linebuffer: false, stdout: (bytes) => host.postMessage({ type: 'stdout', bytes: Buffer.from(bytes) } satisfies VmMessage) });

/** Sleeps, or returns early on Ctrl-C and raises KeyboardInterrupt at the next bytecode. */
function wait(ms: number): void {
  Atomics.wait(interrupt, 0, 0, ms);
  if (Atomics.exchange(interrupt, 0, 0) === 1) mp._module._mp_sched_keyboard_interrupt();
}

mp.registerJsModule('badger_host', {
  wait,
  pressed: (pin: number) => data.held.includes(pin),
  refresh(hex: string) {
    host.postMessage({ type: 'screen', hex } satisfies VmMessage);
    wait(data.refreshMs);
  },
});

function copyIn(from: string, to: string): void {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      mp.FS.mkdir(`${to}/${entry.name}`);
      copyIn(join(from, entry.name), `${to}/${entry.name}`);
    } else mp.FS.writeFile(`${to}/${entry.name}`, readFileSync(join(from, entry.name)));
  }
}

function copyOut(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of mp.FS.readdir(from)) {
    if (name === '.' || name === '..') continue;
    if (mp.FS.isDir(mp.FS.stat(`${from}/${name}`).mode)) copyOut(`${from}/${name}`, join(to, name));
    else writeFileSync(join(to, name), mp.FS.readFile(`${from}/${name}`));
  }
}

mp.FS.mkdir(FLASH);
mp.FS.mkdir('/frozen');
mp.FS.writeFile('/frozen/badger2040.py', standInModule());
copyIn(data.flash, FLASH);
mp.runPython(`import sys, os\nsys.path[:] = ['', '/frozen']\nos.chdir('${FLASH}')\nimport badger2040\nbadger2040.API = '${data.api}'`);

host.on('message', (code: string) => {
  Atomics.store(interrupt, 0, 0);
  let traceback: string | undefined;
  try {
    mp.runPython(code);
  } catch (error) {
    traceback = (error as Error).message;
  }
  // The flash as the program left it: what a power cycle would find.
  rmSync(data.flash, { recursive: true, force: true });
  copyOut(FLASH, data.flash);
  host.postMessage({ type: 'done', traceback } satisfies VmMessage);
});
host.postMessage({ type: 'done' } satisfies VmMessage);
