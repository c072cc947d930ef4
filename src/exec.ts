import { loadBundled } from './vendor.js';

/** The result of one external program: never thrown, always interpreted by the adapter that ran it. */
export interface ExecResult {
  command: string;
  exitCode: number | undefined;
  /** The program could not be started (not installed, not executable). */
  notFound: boolean;
  /** Stopped by our signal or timeout. */
  cancelled: boolean;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  signal?: AbortSignal;
  /** Milliseconds; the program is killed after it. Required: nothing the node runs may hang it. */
  timeout: number;
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  /** Each stdout line as it arrives (progress, itemized changes); a carriage return ends a line too, so that
   * progress a program rewrites in place (rsync --info=progress2) is seen live. */
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** false: stdout is only passed to onStdoutLine, not kept (a million itemized lines). */
  bufferStdout?: boolean;
}

/** An execa transform over raw chunks: the text is kept as it is, and handed on line by line at \n or \r. */
function lineSplitter(handler: (line: string) => void) {
  const decoder = new TextDecoder();
  let pending = '';
  return {
    *transform(chunk: unknown) {
      const parts = (pending + decoder.decode(chunk as Uint8Array, { stream: true })).split(/\r|\n/);
      pending = parts.pop()!;
      for (const part of parts) if (part !== '') handler(part);
      yield chunk;
    },
    *final() {
      pending += decoder.decode();
      if (pending !== '') handler(pending);
    },
    binary: true,
  };
}

/** execa, loaded on first use: commands that run no program (status, verify of a plain directory) start without it. */
async function loadExeca(): Promise<typeof import('execa').execa> {
  return (await loadBundled('execa', () => import('execa'))).execa;
}

/** The one place that runs a process: an argv array, never a shell string. */
export async function exec(file: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
  const lines = (handler: ((line: string) => void) | undefined) => (handler ? lineSplitter(handler) : undefined);
  const stdoutTransform = lines(options.onStdoutLine);
  const stderrTransform = lines(options.onStderrLine);
  const execa = await loadExeca();
  const result = await execa(file, args, {
    reject: false,
    cancelSignal: options.signal,
    timeout: options.timeout,
    cwd: options.cwd,
    env: options.env,
    extendEnv: true,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : 'pipe',
    stripFinalNewline: true,
    forceKillAfterDelay: 5000,
    ...(stdoutTransform ? { stdout: stdoutTransform } : {}),
    ...(stderrTransform ? { stderr: stderrTransform } : {}),
    buffer: { stdout: options.bufferStdout ?? true, stderr: true },
  });
  const startFailed = (result as { code?: string }).code === 'ENOENT' || (result as { code?: string }).code === 'EACCES';
  return {
    command: [file, ...args].join(' '),
    exitCode: result.exitCode,
    notFound: startFailed,
    cancelled: Boolean(result.isCanceled) || Boolean(result.isTerminated && options.signal?.aborted),
    timedOut: Boolean(result.timedOut),
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
  };
}

/**
 * A program that runs beside the pass until stopped (a sleep inhibitor), in a process group of its own so that
 * stopping ends it and its children together. Bounded like every other: it is killed after `timeout` ms anyway.
 */
export async function startBackground(file: string, args: readonly string[], timeout: number): Promise<{ stop(): void }> {
  const execa = await loadExeca();
  const child = execa(file, args, { reject: false, stdio: 'ignore', detached: true, timeout });
  void child.catch(() => undefined);
  let stopped = false;
  return {
    stop() {
      if (stopped || child.pid === undefined || child.exitCode !== null) return;
      stopped = true;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    },
  };
}

/** The last non-empty line a program printed on stderr: what a one-line error quotes. */
export function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1)?.trim() ?? '';
}
