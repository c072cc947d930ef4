import { fstatSync } from 'node:fs';

/**
 * Logs and progress go to stderr, never stdout (so `--json` output stays whole).
 * When stderr is the journal (a systemd unit), each line carries the sd-daemon priority prefix `<N>` so that
 * journald files it at the right level and `journalctl -p err` works; in a pipe or cron mail it does not.
 */
const PRIORITY = { error: 3, warn: 4, notice: 5, info: 6, debug: 7 } as const;
export type LogLevel = keyof typeof PRIORITY;

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  notice(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** A line that replaces itself on a TTY (progress); dropped when not on a TTY. */
  progress(message: string): void;
  /** Ends a progress line on the terminal, before something else is printed (stdout too). */
  clearProgress(): void;
  /** Text already worded for the reader (a command's failure, its warnings): at its priority, not in the tail. */
  report(level: 'error' | 'warn', text: string): void;
  /** Never print this string again: it is a secret (a webhook URL, a ping key). */
  addSecret(secret: string): void;
  /** The text with every secret replaced by *** (for stdout, which does not go through the logger). */
  mask(text: string): string;
  /** The last lines logged (the log tail sent with a failure heartbeat), secrets masked. */
  tail(lines?: number): string[];
}

/** stderr is the journal when JOURNAL_STREAM (set by systemd for a unit's output) names its device and inode. */
export function stderrIsJournal(): boolean {
  const [device, inode] = (process.env.JOURNAL_STREAM ?? '').split(':');
  if (!device || !inode) return false;
  try {
    const stats = fstatSync(2);
    return String(stats.dev) === device && String(stats.ino) === inode;
  } catch {
    return false;
  }
}

export interface LoggerOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Write sd-daemon priority prefixes (default: when stderr is the journal). */
  journal?: boolean;
  verbose?: boolean;
  quiet?: boolean;
}

const TAIL_LINES = 200;

export function createLogger({ stream = process.stderr, journal = stderrIsJournal(), verbose = false, quiet = false }: LoggerOptions = {}): Logger {
  const secrets: string[] = [];
  const recent: string[] = [];
  const tty = Boolean(stream.isTTY);
  let progressShown = false;
  const mask = (text: string) => secrets.reduce((masked, secret) => masked.split(secret).join('***'), text);
  const clearProgress = () => {
    if (progressShown) stream.write('\r\x1b[K');
    progressShown = false;
  };
  const write = (level: LogLevel, message: string) => {
    const text = mask(message);
    for (const line of text.split('\n')) {
      recent.push(`${level}: ${line}`);
      if (recent.length > TAIL_LINES) recent.shift();
    }
    // At a terminal a person reads the result: the steps as they go are for -v (and the journal, the heartbeat's tail).
    if ((level === 'debug' && !verbose) || (level === 'info' && tty && !verbose) || (quiet && PRIORITY[level] > PRIORITY.warn)) return;
    const label = level === 'info' || level === 'notice' ? '' : `${level}: `;
    emit(
      level,
      text.split('\n').map((line) => `${label}${line}`),
    );
  };
  const emit = (level: LogLevel, lines: string[]) => {
    clearProgress();
    stream.write(lines.map((line) => (journal ? `<${PRIORITY[level]}>${line}` : line)).join('\n') + '\n');
  };
  return {
    error: (message) => write('error', message),
    warn: (message) => write('warn', message),
    notice: (message) => write('notice', message),
    info: (message) => write('info', message),
    debug: (message) => write('debug', message),
    progress(message) {
      if (!tty || quiet) return;
      stream.write(`\r\x1b[K${mask(message).slice(0, 200)}`);
      progressShown = true;
    },
    report: (level, text) => emit(level, mask(text).split('\n')),
    clearProgress,
    addSecret(secret) {
      if (secret && !secrets.includes(secret)) secrets.push(secret);
    },
    mask,
    tail: (lines = 30) => recent.slice(-lines),
  };
}
