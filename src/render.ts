import stringWidth from 'string-width';
import { EXIT_CODES, warningLine } from './exit-codes.js';
import type { StepResult } from './result.js';

/**
 * The one place that colours text. chalk (0.015 s of loading) is loaded only where colour can show: stdout on a
 * terminal, or FORCE_COLOR. Never with NO_COLOR set and not empty (https://no-color.org); chalk reads --no-color
 * from argv itself. The nightly pass writes to the journal: plain text, without it.
 */
const chalk = !process.env.NO_COLOR && (process.stdout.isTTY || 'FORCE_COLOR' in process.env) ? (await import('chalk')).default : undefined;
const plain = (text: string) => text;
const style = (name: 'bold' | 'dim' | 'green' | 'yellow' | 'cyan' | 'red'): ((text: string) => string) => (chalk ? chalk[name] : plain);

const STATUS_COLOUR: Record<string, (text: string) => string> = {
  ok: style('green'),
  completed: style('green'),
  skipped: style('dim'),
  warning: style('yellow'),
  running: style('cyan'),
  failed: style('red'),
  fatal: style('red'),
  info: style('dim'),
  interrupted: style('red'),
};

export function statusWord(status: string): string {
  return (STATUS_COLOUR[status] ?? plain)(status);
}

export function heading(text: string): string {
  return style('bold')(text);
}

/**
 * Columns a text takes on a terminal: colour codes none, an East Asian character two (string-width knows which).
 * Printable ASCII is its length: string-width's first call builds its tables (17 ms of a 2,000-file pass).
 */
const visibleLength = (text: string) => (/^[\x20-\x7e]*$/.test(text) ? text.length : stringWidth(text));

/** 5.7 KiB, 1.3 MiB: sizes as people read them. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) [value, unit] = [value / 1024, unit + 1];
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(columns: string[], rows: string[][]): string {
  // A loop, not Math.max(...rows): a find of half a million paths is more arguments than a call may take.
  const widths = columns.map((column, index) => rows.reduce((widest, row) => Math.max(widest, visibleLength(row[index] ?? '')), column.length));
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => (index === cells.length - 1 ? cell : cell + ' '.repeat(widths[index]! - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return [style('bold')(line(columns)), ...rows.map(line)].join('\n');
}

/** The one line (and an optional hint) a failure prints on stderr. */
export function failureLines(command: string, result: StepResult): string {
  const code = result.code ?? 'internal';
  const first = `${style('red')('odbackup ' + command + ':')} ${result.message} ${style('dim')(`[exit ${EXIT_CODES[code].code}: ${code}]`)}`;
  const details = (result.details ?? []).map((line) => `  ${line}`);
  return [first, ...details, ...(result.hint ? [`  hint: ${result.hint}`] : [])].join('\n');
}

export function warningLines(result: StepResult): string[] {
  return (result.warnings ?? []).map((warning) => style('yellow')(warningLine(warning)));
}
