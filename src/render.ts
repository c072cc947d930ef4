import chalk from 'chalk';
import { EXIT_CODES, warningLine } from './exit-codes.js';
import type { StepResult } from './result.js';

/** The one place that colours text: chalk turns itself off when stdout is not a terminal or with --no-color. */
// https://no-color.org: NO_COLOR set and not empty turns colour off.
if (process.env.NO_COLOR) chalk.level = 0;

const STATUS_COLOUR: Record<string, (text: string) => string> = {
  ok: chalk.green,
  completed: chalk.green,
  skipped: chalk.dim,
  warning: chalk.yellow,
  running: chalk.cyan,
  failed: chalk.red,
  fatal: chalk.red,
  info: chalk.dim,
  interrupted: chalk.red,
};

export function statusWord(status: string): string {
  return (STATUS_COLOUR[status] ?? ((text: string) => text))(status);
}

export function heading(text: string): string {
  return chalk.bold(text);
}

const ANSI = /\x1b\[[0-9;]*m/g;
const visibleLength = (text: string) => text.replace(ANSI, '').length;

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
  const widths = columns.map((column, index) => Math.max(column.length, ...rows.map((row) => visibleLength(row[index] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => (index === cells.length - 1 ? cell : cell + ' '.repeat(widths[index]! - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  return [chalk.bold(line(columns)), ...rows.map(line)].join('\n');
}

/** The one line (and an optional hint) a failure prints on stderr. */
export function failureLines(command: string, result: StepResult): string {
  const code = result.code ?? 'internal';
  const first = `${chalk.red('odbackup ' + command + ':')} ${result.message} ${chalk.dim(`[exit ${EXIT_CODES[code].code}: ${code}]`)}`;
  const details = (result.details ?? []).map((line) => `  ${line}`);
  return [first, ...details, ...(result.hint ? [`  hint: ${result.hint}`] : [])].join('\n');
}

export function warningLines(result: StepResult): string[] {
  return (result.warnings ?? []).map((warning) => chalk.yellow(warningLine(warning)));
}
