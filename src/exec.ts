import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Readable } from 'node:stream';
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
  /**
   * Each stdout line as it arrives (progress, itemized changes), instead of keeping stdout (a million itemized
   * lines); a carriage return ends a line too, so that progress a program rewrites in place (rsync
   * --info=progress2) is seen live. What it throws stops the program and is thrown by exec.
   */
  onStdoutLine?: (line: string) => void;
  /**
   * The program acts on the whole system, beyond a sandbox's reach: the mount table (mount, umount), the RTC
   * (hwclock, rtcwake), the disk's own commands (smartctl). See SANDBOX_VARIABLE.
   */
  systemWide?: boolean;
}

/**
 * Set by odbackup.service, whose pass runs sandboxed: in a mount namespace of its own (a mount made there would
 * not reach the operator's shell nor the next pass), without CAP_SYS_ADMIN, CAP_SYS_RAWIO or CAP_SYS_TIME, the
 * RTC and the disk closed to it. There a systemWide program runs through PID 1, as a transient unit.
 */
const SANDBOX_VARIABLE = 'ODBACKUP_SANDBOXED';

/** systemd-run's arguments for one program run by PID 1: its output and exit status are the program's own. */
export function systemdRunArgs(file: string, args: readonly string[], timeoutMs: number): string[] {
  // RuntimeMaxSec: the unit ends with our timeout even when systemd-run, killed by it, no longer waits for it.
  return ['--quiet', '--wait', '--pipe', '--collect', '--service-type=exec', `--property=RuntimeMaxSec=${Math.ceil(timeoutMs / 1000)}`, '--', file, ...args];
}

/** The program's path as the shell would find it, or undefined: systemd-run only says 203/EXEC when it is missing. */
function programPath(file: string): string | undefined {
  const candidates = isAbsolute(file) ? [file] : (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter).map((directory) => join(directory, file));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * A stream's text, handed on line by line at \n or \r. Read from the stream itself rather than through an execa
 * transform: for rsync's itemized list, execa's transform machinery cost more CPU than the parsing, and it runs
 * beside rsync (a 100k-file pass: 0.46 s of the main thread's CPU through execa, 0.15 s this way).
 */
function eachLine(stream: Readable, handler: (line: string) => void): void {
  const decoder = new TextDecoder();
  let pending = '';
  stream.on('data', (chunk: Uint8Array) => {
    const parts = (pending + decoder.decode(chunk, { stream: true })).split(/\r|\n/);
    pending = parts.pop()!;
    for (const part of parts) if (part !== '') handler(part);
  });
  stream.on('end', () => {
    pending += decoder.decode();
    if (pending !== '') handler(pending);
  });
}

/** execa, loaded on first use: commands that run no program (status, verify of a plain directory) start without it. */
async function loadExeca(): Promise<typeof import('execa').execa> {
  return (await loadBundled('execa', () => import('execa'))).execa;
}

/** The one place that runs a process: an argv array, never a shell string. */
export async function exec(file: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
  const command = [file, ...args].join(' ');
  if (options.systemWide && process.env[SANDBOX_VARIABLE]) {
    const path = programPath(file);
    if (!path) return { command, exitCode: undefined, notFound: true, cancelled: false, timedOut: false, stdout: '', stderr: `${file}: not found` };
    return { ...(await exec('systemd-run', systemdRunArgs(path, args, options.timeout), { ...options, systemWide: false })), command };
  }
  const execa = await loadExeca();
  const subprocess = execa(file, args, {
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
    buffer: { stdout: !options.onStdoutLine, stderr: true },
  });
  let handlerError: { error: unknown } | undefined;
  const onLine = options.onStdoutLine;
  if (onLine && subprocess.stdout)
    eachLine(subprocess.stdout, (line) => {
      if (handlerError) return;
      try {
        onLine(line);
      } catch (error) {
        handlerError = { error };
        // Its children may hold the pipes open after it is gone: nothing more is read.
        subprocess.kill();
        subprocess.stdout?.destroy();
        subprocess.stderr?.destroy();
      }
    });
  const result = await subprocess;
  if (handlerError) throw handlerError.error;
  const startFailed = (result as { code?: string }).code === 'ENOENT' || (result as { code?: string }).code === 'EACCES';
  return {
    command,
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
