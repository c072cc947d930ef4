import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * MicroPython's raw REPL, host side, over any byte stream (REFERENCE §1): interrupt, enter, soft reset, run a program
 * with raw-paste flow control (plain raw mode for firmware without it), leave. Every wait ends at the latest at the
 * deadline given for the whole conversation; errors carry the bytes that did arrive.
 */

export const RAW_PROMPT = 'raw REPL; CTRL-B to exit\r\n';
const CTRL_A = '\x01';
const CTRL_B = '\x02';
const CTRL_C = '\x03';
const CTRL_D = '\x04';
const EOT = 0x04;

/** An answer to a control byte. */
const ANSWER_MS = 5_000;
/** A program's output: an e-ink refresh blocks for up to ~5 s with no output, so this is counted between bytes. */
const INTER_BYTE_MS = 10_000;
/** One try of Ctrl-C + Ctrl-A; a program that ignores Ctrl-C gets three before the board is called unresponsive. */
const PROMPT_TRY_MS = 3_000;
const PROMPT_TRIES = 3;

export class ReplError extends Error {
  constructor(
    message: string,
    /** What the board sent during the failed wait. */
    readonly received: Buffer = Buffer.alloc(0),
  ) {
    super(message);
  }
}

/** The program raised: the traceback is what the board printed on stderr. */
export class BoardError extends ReplError {
  constructor(readonly traceback: string) {
    super(`the program failed on the board: ${traceback.trim().split(/\r?\n/).at(-1)}`, Buffer.from(traceback));
  }
}

/** Printable form of received bytes for messages: control bytes escaped, the tail only. */
export function shown(bytes: Buffer, limit = 160): string {
  const tail = bytes.length > limit ? bytes.subarray(bytes.length - limit) : bytes;
  return (bytes.length > limit ? '…' : '') + JSON.stringify(tail.toString('latin1')).slice(1, -1);
}

export interface ReplOutput {
  stdout: string;
  /** raw-paste or plain raw mode (firmware before MicroPython 1.14) */
  mode: 'raw-paste' | 'raw';
}

export class RawRepl {
  private buffer: Buffer = Buffer.alloc(0);
  private waiter?: () => void;
  private ended?: string;
  private rawPaste = true;

  constructor(
    private readonly stream: Duplex,
    /** Date.now() value after which every wait fails. */
    private readonly deadline: number,
    signal?: AbortSignal,
  ) {
    stream.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.settle();
    });
    const end = (why: string) => () => {
      this.ended ??= why;
      this.settle();
    };
    stream.on('close', end('the port closed (unplugged?)'));
    stream.on('error', (error: Error) => end(`the port failed: ${error.message}`)());
    signal?.addEventListener('abort', end('stopped by a signal'), { once: true });
  }

  /** Interrupts whatever runs (main.py, a launcher) and enters the raw REPL. */
  async enter(): Promise<void> {
    const seen: Buffer[] = [];
    let tries = 0;
    while (tries < PROMPT_TRIES && Date.now() < this.deadline) {
      tries += 1;
      await this.write(`\r${CTRL_C}`);
      await sleep(100);
      // What an interrupted program printed: not an answer, but kept for the error.
      seen.push(this.buffer);
      this.buffer = Buffer.alloc(0);
      await this.write(`\r${CTRL_A}`);
      try {
        await this.readUntil(`${RAW_PROMPT}>`, 'the raw REPL prompt', PROMPT_TRY_MS);
        return;
      } catch (error) {
        if (this.ended) throw error;
      }
    }
    seen.push(this.buffer);
    throw new ReplError(
      `no raw REPL prompt after ${tries} ${tries === 1 ? 'try' : 'tries'} of Ctrl-C: a program on the Badger ignores Ctrl-C, it hangs (press RESET on its back), or it is not a MicroPython board`,
      Buffer.concat(seen),
    );
  }

  /** A clean interpreter; from the raw REPL main.py does not run again (REFERENCE §1.1). */
  async softReset(): Promise<void> {
    await this.write(CTRL_D);
    await this.readUntil('soft reboot\r\n', 'the soft reboot');
    await this.readUntil(`${RAW_PROMPT}>`, 'the raw REPL after the soft reboot');
  }

  /** Runs a program at the prompt; its stdout, or a BoardError with the traceback. */
  async exec(program: string): Promise<ReplOutput> {
    const code = Buffer.from(program, 'utf8');
    const mode = this.rawPaste && (await this.pasteAccepted()) ? 'raw-paste' : 'raw';
    if (mode === 'raw-paste') await this.sendPasted(code);
    else await this.sendPlain(code);
    const stdout = await this.readUntil(CTRL_D, 'the end of the output', INTER_BYTE_MS, true);
    const stderr = await this.readUntil(CTRL_D, 'the end of the error output', INTER_BYTE_MS, true);
    await this.readUntil('>', 'the raw REPL prompt after the program');
    const traceback = stderr.subarray(0, -1).toString('utf8');
    if (traceback.length > 0) throw new BoardError(traceback);
    return { stdout: stdout.subarray(0, -1).toString('utf8'), mode };
  }

  /** Back to the friendly REPL, where the board stays until it is next powered up. */
  async leave(): Promise<void> {
    await this.write(`\r${CTRL_B}`);
  }

  /** Asks for raw-paste mode; false (and plain raw mode from now on) on firmware without it. */
  private async pasteAccepted(): Promise<boolean> {
    await this.write(`\x05A${CTRL_A}`);
    const answer = (await this.readBytes(2, 'the answer to raw-paste')).toString('latin1');
    if (answer === 'R\x01') return true;
    this.rawPaste = false;
    // "R\x00": understood, not supported, a new prompt follows. Old firmware took "\x05A" as code and Ctrl-A as
    // "re-enter raw REPL": the rest of that banner follows the two bytes we read.
    if (answer === 'R\x00') await this.readUntil('>', 'the raw REPL prompt after the refused raw-paste');
    else await this.readUntil('w REPL; CTRL-B to exit\r\n>', 'the raw REPL prompt after the refused raw-paste');
    return false;
  }

  /** Raw-paste: the board grants `window` bytes at a time with \x01; \x04 from it means it stopped reading. */
  private async sendPasted(code: Buffer): Promise<void> {
    const window = (await this.readBytes(2, 'the raw-paste window size')).readUInt16LE(0);
    let credit = window;
    let sent = 0;
    while (sent < code.length) {
      while (credit === 0 || this.buffer.length > 0) {
        const flow = (await this.readBytes(1, 'raw-paste flow control'))[0];
        if (flow === 0x01) credit += window;
        else if (flow === EOT) {
          // The board aborted reception (a syntax error while compiling): the error comes as the program's output.
          await this.write(CTRL_D);
          return;
        } else throw new ReplError(`unexpected byte during raw-paste: ${shown(Buffer.from([flow!]))}`, Buffer.from([flow!]));
      }
      const chunk = code.subarray(sent, sent + credit);
      await this.write(chunk);
      sent += chunk.length;
      credit -= chunk.length;
    }
    await this.write(CTRL_D);
    await this.readUntil(CTRL_D, 'the end of raw-paste reception');
  }

  /** Plain raw mode as mpremote does it: 256-byte chunks 10 ms apart, Ctrl-D, then "OK". */
  private async sendPlain(code: Buffer): Promise<void> {
    for (let offset = 0; offset < code.length; offset += 256) {
      await this.write(code.subarray(offset, offset + 256));
      await sleep(10);
    }
    await this.write(CTRL_D);
    const answer = await this.readBytes(2, 'OK after the program');
    if (answer.toString('latin1') !== 'OK') throw new ReplError(`the board did not take the program (answered ${shown(answer)})`, answer);
  }

  private readUntil(suffix: string, what: string, timeoutMs = ANSWER_MS, interByte = false): Promise<Buffer> {
    const wanted = Buffer.from(suffix, 'latin1');
    return this.wait(what, timeoutMs, interByte, (buffer) => {
      const at = buffer.indexOf(wanted);
      return at < 0 ? -1 : at + wanted.length;
    });
  }

  private readBytes(count: number, what: string): Promise<Buffer> {
    return this.wait(what, ANSWER_MS, false, (buffer) => (buffer.length >= count ? count : -1));
  }

  /**
   * Resolves with the bytes that complete `take` (removed from the buffer). With `interByte` the timer restarts
   * with every byte; it never runs past the deadline. A closed port or a signal ends the wait at once.
   */
  private wait(what: string, timeoutMs: number, interByte: boolean, take: (buffer: Buffer) => number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let seen = -1;
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.waiter = undefined;
        if (error) return reject(error);
        const count = take(this.buffer);
        resolve(this.buffer.subarray(0, count));
        this.buffer = this.buffer.subarray(count);
      };
      const arm = () => {
        clearTimeout(timer);
        const left = this.deadline - Date.now();
        const ms = Math.max(0, Math.min(timeoutMs, left));
        const why = ms < timeoutMs ? `the time for the display ran out waiting for ${what}` : `timed out after ${ms / 1000} s waiting for ${what}`;
        timer = setTimeout(() => finish(new ReplError(why, this.buffer)), ms);
      };
      this.waiter = () => {
        if (seen < 0 || (interByte && this.buffer.length !== seen)) arm();
        seen = this.buffer.length;
        if (take(this.buffer) >= 0) finish();
        else if (this.ended) finish(new ReplError(`${this.ended} while waiting for ${what}`, this.buffer));
      };
      this.waiter();
    });
  }

  /** Lets the current wait look at new bytes, a closed port or a signal. */
  private settle(): void {
    this.waiter?.();
  }

  /** Bounded by the deadline too: a write to a port that went away may never call back. */
  private write(data: string | Buffer): Promise<void> {
    if (this.ended) return Promise.reject(new ReplError(this.ended, this.buffer));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ReplError('writing to the Badger did not finish in time', this.buffer)),
        Math.max(0, this.deadline - Date.now()),
      );
      this.stream.write(data, (error) => {
        clearTimeout(timer);
        // EIO and friends on a tty: it hung up, as when the USB cable comes out.
        const gone = error && /EIO|ENXIO|EBADF|not open/.test(error.message);
        if (error) reject(new ReplError(gone ? 'the port closed (unplugged?) while writing' : `writing to the Badger failed: ${error.message}`, this.buffer));
        else resolve();
      });
    });
  }
}
