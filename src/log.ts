/**
 * Logs and progress go to stderr, never stdout (so `--json` output stays whole).
 * Not on a TTY (a systemd unit), each line carries the sd-daemon priority prefix `<N>` so that
 * journald files it at the right level and `journalctl -p err` works.
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
  /** Never print this string again: it is a secret (a webhook URL, a ping key). */
  addSecret(secret: string): void;
  /** The text with every secret replaced by *** (for stdout, which does not go through the logger). */
  mask(text: string): string;
  /** The last lines logged (the log tail sent with a failure heartbeat), secrets masked. */
  tail(lines?: number): string[];
}

export interface LoggerOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  verbose?: boolean;
  quiet?: boolean;
}

const TAIL_LINES = 200;

export function createLogger({ stream = process.stderr, verbose = false, quiet = false }: LoggerOptions = {}): Logger {
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
    if ((level === 'debug' && !verbose) || (quiet && PRIORITY[level] > PRIORITY.warn)) return;
    clearProgress();
    const lines = text.split('\n');
    stream.write(
      lines.map((line) => (tty ? `${level === 'info' || level === 'notice' ? '' : `${level}: `}${line}` : `<${PRIORITY[level]}>${line}`)).join('\n') + '\n',
    );
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
    addSecret(secret) {
      if (secret && !secrets.includes(secret)) secrets.push(secret);
    },
    mask,
    tail: (lines = 30) => recent.slice(-lines),
  };
}
