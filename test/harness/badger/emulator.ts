/**
 * A Badger 2040 on the far end of a real serial device, for the tests and by hand:
 *
 *   node dist/test/harness/badger/emulator.js --dir /tmp/badger [--api old|new] [--firmware current|old|nmea]
 *        [--refresh-ms N] [--hold A,B] [--main launcher|deaf] [--unplug-after N]
 *   odbackup display start --port /tmp/badger/ttyBadger
 *
 * socat makes the pty pair: odbackup opens <dir>/ttyBadger with serialport, the emulator the other end. The emulator
 * is the board's side of MicroPython's REPL as REFERENCE §1 describes it (friendly and raw modes, Ctrl-A/B/C/D,
 * raw-paste with its 128-byte window, soft reset that skips main.py) and runs what it receives in real MicroPython
 * with the badger2040 stand-in (vm.ts). Starting it is powering the board up: main.py on its flash (<dir>/flash)
 * runs. Every refresh is written to <dir>/screen.png; what happened goes to <dir>/events.log, a line each.
 *
 * Faults: --main launcher (a busy main.py at connect, like Badger OS waiting for a button), --main deaf (a main.py
 * that swallows Ctrl-C), --firmware old (MicroPython before raw-paste), --firmware nmea (not a MicroPython board at
 * all: it talks about something else), --refresh-ms 5000 (a slow e-ink), --unplug-after N (the cable is pulled
 * after N bytes of a program).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { SerialPort } from 'serialport';
import { pngOf } from '../../../src/display/preview.js';
import { RAW_PROMPT } from '../../../src/display/raw-repl.js';
import { writeFileAtomic } from '../../../src/state/atomic.js';
import { waitFor } from '../../helpers.js';
import type { VmData, VmMessage } from './vm.js';

export interface EmulatorOptions {
  dir: string;
  api: 'old' | 'new';
  /** current: MicroPython 1.23; old: before raw-paste (1.13); nmea: a different device on the port. */
  firmware: 'current' | 'old' | 'nmea';
  refreshMs: number;
  held: string[];
  main?: 'launcher' | 'deaf';
  unplugAfter?: number;
}

export const BUTTON_PINS: Record<string, number> = { A: 12, B: 13, C: 14, UP: 15, DOWN: 11 };
const BANNER = 'MicroPython v1.23.0 on 2024-06-02; Pimoroni Badger2040 2MB with RP2040\r\nType "help()" for more information.\r\n';
/** MICROPY_REPL_STDIN_BUFFER_MAX 256: the window is half of it, and two windows are granted at the start. */
const STDIN_BUFFER = 256;
const WINDOW = STDIN_BUFFER / 2;

/** main.py files for the fault modes. */
const MAIN_FILES = {
  // Badger OS's launcher ends in halt(), which on USB power waits for a button: busy, but Ctrl-C stops it.
  launcher: 'import badger2040\ndisplay = badger2040.Badger2040()\nwhile True:\n    display.halt()\n',
  // A program with a bare except: Ctrl-C never gets through (REFERENCE §1.5).
  deaf: 'import badger2040\ndisplay = badger2040.Badger2040()\nwhile True:\n    try:\n        display.halt()\n    except:\n        pass\n',
};

const cooked = (text: string | Uint8Array) => Buffer.from(Buffer.from(text).toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

/** The interpreter in its worker; a soft reset is a new one. */
class Interpreter {
  readonly interrupt = new Int32Array(new SharedArrayBuffer(4));
  private worker!: Worker;
  private finished?: (traceback?: string) => void;

  constructor(
    private readonly options: EmulatorOptions,
    private readonly onOutput: (bytes: Buffer) => void,
    private readonly onScreen: (bits: Buffer) => void,
  ) {}

  start(): Promise<void> {
    const data: VmData = {
      flash: join(this.options.dir, 'flash'),
      api: this.options.api,
      refreshMs: this.options.refreshMs,
      held: this.options.held.map((name) => BUTTON_PINS[name]!),
      interrupt: this.interrupt.buffer as SharedArrayBuffer,
    };
    this.worker = new Worker(new URL('./vm.js', import.meta.url), { workerData: data });
    this.worker.on('message', (message: VmMessage) => {
      if (message.type === 'stdout') this.onOutput(cooked(message.bytes));
      else if (message.type === 'screen') this.onScreen(Buffer.from(message.hex, 'hex'));
      else this.finished?.(message.traceback);
    });
    this.worker.on('error', (error) => {
      process.stderr.write(`emulator: interpreter failed: ${error.stack}\n`);
      process.exit(1);
    });
    return this.run(undefined).then(() => undefined);
  }

  /** Runs a program; resolves with its traceback, if it raised. Without code: waits until the worker is ready. */
  run(code: string | undefined): Promise<string | undefined> {
    return new Promise((resolve) => {
      this.finished = (traceback) => {
        this.finished = undefined;
        resolve(traceback);
      };
      if (code !== undefined) this.worker.postMessage(code);
    });
  }

  raiseKeyboardInterrupt(): void {
    Atomics.store(this.interrupt, 0, 1);
    Atomics.notify(this.interrupt, 0);
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

interface PasteReception {
  code: number[];
  sinceAck: number;
}

export class Board {
  private mode: 'friendly' | 'raw' = 'friendly';
  private line: number[] = [];
  private paste?: PasteReception;
  /** Bytes received and not yet looked at (the board's stdin). */
  private input: number[] = [];
  private running = false;
  private pumping = false;
  private received = 0;
  private interpreter!: Interpreter;
  private booting: Promise<void> = Promise.resolve();

  constructor(
    private readonly port: SerialPort,
    private readonly options: EmulatorOptions,
    private readonly unplug: () => void,
  ) {
    port.on('data', (chunk: Buffer) => this.receive(chunk));
  }

  event(text: string): void {
    appendFileSync(join(this.options.dir, 'events.log'), `${text}\n`);
  }

  powerUp(): void {
    this.event('power-up');
    this.booting = this.boot();
    void this.pump();
  }

  private async boot(): Promise<void> {
    this.interpreter = new Interpreter(
      this.options,
      (bytes) => this.write(bytes),
      (bits) => this.showScreen(bits),
    );
    await this.interpreter.start();
    if (this.mode === 'friendly') {
      await this.runMain();
      this.write(`${BANNER}>>> `);
    } else this.write(`${RAW_PROMPT}>`);
  }

  private async runMain(): Promise<void> {
    const main = join(this.options.dir, 'flash', 'main.py');
    if (!existsSync(main)) return;
    this.event('main.py');
    const traceback = await this.execute(readFileSync(main, 'utf8'));
    if (traceback) this.write(cooked(traceback));
  }

  private showScreen(bits: Buffer): void {
    writeFileAtomic(join(this.options.dir, 'screen.png'), pngOf(bits));
    this.event('update');
  }

  private write(data: string | Buffer): void {
    this.port.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  private receive(chunk: Buffer): void {
    for (const byte of chunk) {
      // While a program runs, Ctrl-C is the interrupt character: it clears stdin and raises KeyboardInterrupt.
      if (this.running && byte === 0x03) {
        this.event('interrupt');
        this.input.length = 0;
        this.interpreter.raiseKeyboardInterrupt();
        continue;
      }
      // Raw-paste: what the host sends beyond the free space of the stdin buffer is lost.
      if (this.paste && !this.running && this.input.length >= STDIN_BUFFER) {
        this.event('overflow');
        continue;
      }
      this.input.push(byte);
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    await this.booting;
    while (this.input.length > 0 && !this.running) await this.handle(this.input.shift()!);
    this.pumping = false;
  }

  private async handle(byte: number): Promise<void> {
    if (this.paste) return this.pasteByte(byte);
    if (this.mode === 'raw') return this.rawByte(byte);
    return this.friendlyByte(byte);
  }

  private async friendlyByte(byte: number): Promise<void> {
    switch (byte) {
      case 0x01:
        this.mode = 'raw';
        this.line = [];
        this.event('raw REPL');
        return this.write(`\r\n${RAW_PROMPT}>`);
      case 0x02:
        return this.write(`\r\n${BANNER}>>> `);
      case 0x03:
        this.line = [];
        return this.write('\r\n>>> ');
      case 0x04:
        if (this.line.length > 0) return;
        this.write('\r\n');
        return this.softReset();
      case 0x0d: {
        this.write('\r\n');
        const code = Buffer.from(this.line).toString('utf8');
        this.line = [];
        if (code.trim()) {
          const traceback = await this.execute(code);
          if (traceback) this.write(cooked(traceback));
        }
        return this.write('>>> ');
      }
      default:
        this.line.push(byte);
        return this.write(Buffer.from([byte]));
    }
  }

  private async rawByte(byte: number): Promise<void> {
    switch (byte) {
      case 0x01:
        if (this.line.length === 2 && this.line[0] === 0x05 && this.options.firmware === 'current') {
          const command = this.line[1];
          this.line = [];
          // Only "A" (raw-paste) is a known command: anything else is refused with R\x00.
          if (command !== 0x41) return this.write('R\x00>');
          this.event('raw-paste');
          this.paste = { code: [], sinceAck: 0 };
          return this.write(Buffer.from([0x52, 0x01, WINDOW & 0xff, WINDOW >> 8, 0x01]));
        }
        this.line = [];
        return this.write(`${RAW_PROMPT}>`);
      case 0x02:
        this.mode = 'friendly';
        this.line = [];
        this.event('friendly REPL');
        return this.write(`\r\n${BANNER}>>> `);
      case 0x03:
        this.line = [];
        return;
      case 0x04: {
        this.write('OK');
        if (this.line.length === 0) {
          this.write('\r\n');
          return this.softReset();
        }
        const code = Buffer.from(this.line).toString('utf8');
        this.line = [];
        this.event(`exec raw ${code.length} bytes`);
        return this.executeFramed(code);
      }
      default:
        this.line.push(byte);
        this.countReceived();
    }
  }

  private async pasteByte(byte: number): Promise<void> {
    const paste = this.paste!;
    if (byte === 0x04 || byte === 0x03) {
      this.paste = undefined;
      this.write('\x04');
      if (byte === 0x03) return this.write('\x04KeyboardInterrupt: \r\n\x04>');
      const code = Buffer.from(paste.code).toString('utf8');
      this.event(`exec raw-paste ${code.length} bytes`);
      return this.executeFramed(code);
    }
    paste.code.push(byte);
    this.countReceived();
    if (++paste.sinceAck === WINDOW) {
      paste.sinceAck = 0;
      this.write('\x01');
    }
  }

  /** --unplug-after: the cable comes out in the middle of a program. */
  private countReceived(): void {
    this.received += 1;
    if (this.options.unplugAfter !== undefined && this.received === this.options.unplugAfter) {
      this.event('unplugged');
      this.unplug();
    }
  }

  /** Raw REPL output framing: stdout, \x04, the traceback, \x04, then the next prompt. */
  private async executeFramed(code: string): Promise<void> {
    const traceback = await this.execute(code);
    this.write(Buffer.concat([Buffer.from('\x04'), cooked(traceback ?? ''), Buffer.from('\x04>')]));
  }

  private async execute(code: string): Promise<string | undefined> {
    this.running = true;
    try {
      return await this.interpreter.run(code);
    } finally {
      this.running = false;
    }
  }

  /** MPY: soft reboot, a new interpreter; main.py runs only from the friendly REPL (REFERENCE §1.1). */
  private async softReset(): Promise<void> {
    this.event('soft reset');
    this.write('MPY: soft reboot\r\n');
    await this.interpreter.stop();
    this.booting = this.boot();
    await this.booting;
  }
}

/** Not a MicroPython board: a device on the same kind of port that talks about something else. */
function chatter(port: SerialPort): void {
  let n = 0;
  setInterval(() => port.write(`$GPGGA,1234${n++ % 10},6010.1,N,02456.2,E,1,08,0.9,12.0,M,,,,*47\r\n`), 100);
}

export async function runEmulator(options: EmulatorOptions): Promise<void> {
  const flash = join(options.dir, 'flash');
  mkdirSync(flash, { recursive: true });
  if (options.main) writeFileSync(join(flash, 'main.py'), MAIN_FILES[options.main]);
  const hostEnd = join(options.dir, 'ttyBadger');
  const boardEnd = join(options.dir, '.board-end');
  rmSync(hostEnd, { force: true });
  rmSync(boardEnd, { force: true });
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${hostEnd}`, `pty,raw,echo=0,link=${boardEnd}`], { stdio: 'ignore' });
  const unplug = () => {
    socat.kill('SIGKILL');
    setTimeout(() => process.exit(0), 50);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, unplug);
  await waitFor(() => existsSync(hostEnd) && existsSync(boardEnd), `socat to create ${hostEnd} and ${boardEnd}`, 5000);
  const port = new SerialPort({ path: boardEnd, baudRate: 115200 });
  await new Promise<void>((resolve, reject) => port.on('open', resolve).on('error', reject));
  if (options.firmware === 'nmea') chatter(port);
  else new Board(port, options, unplug).powerUp();
  process.stdout.write(`ready ${hostEnd}\n`);
}

function optionsFromArgs(argv: string[]): EmulatorOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      api: { type: 'string', default: 'new' },
      firmware: { type: 'string', default: 'current' },
      'refresh-ms': { type: 'string', default: '200' },
      hold: { type: 'string', default: '' },
      main: { type: 'string' },
      'unplug-after': { type: 'string' },
    },
  });
  if (!values.dir) throw new Error('--dir is required');
  return {
    dir: values.dir,
    api: values.api as EmulatorOptions['api'],
    firmware: values.firmware as EmulatorOptions['firmware'],
    refreshMs: Number(values['refresh-ms']),
    held: values.hold ? values.hold.split(',') : [],
    main: values.main as EmulatorOptions['main'],
    unplugAfter: values['unplug-after'] === undefined ? undefined : Number(values['unplug-after']),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runEmulator(optionsFromArgs(process.argv.slice(2))).catch((error: Error) => {
    process.stderr.write(`emulator: ${error.message}\n`);
    process.exit(1);
  });
}
