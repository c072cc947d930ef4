import { localTime } from '../power/schedule.js';

export const SCREENS = ['start', 'failed', 'ready', 'maintenance', 'message'] as const;
export type ScreenName = (typeof SCREENS)[number];

/** What the board program draws: the node, when, the state in large type, up to four lines. */
export interface ScreenStatus {
  node: string;
  time: string;
  state: string;
  lines: string[];
}

/** Everything a screen shows, gathered by whoever draws it: the screen itself asks nothing of the machine. */
export interface ScreenFacts {
  node: string;
  now: Date;
  address?: string;
  /** The START and FAILED screens' network line: internet and ssh server, when they were asked. */
  network?: { internet: 'OK' | 'FAIL' | '-'; ssh: 'OK' | 'FAIL' };
  /** The FAILED screen: the code and what failed (a step, or the source named in its message). */
  failure?: { code: string; what: string };
  warnings: number;
  /** The START screen: this pass recovers from a power cut. */
  powerRestored?: boolean;
  /** The READY screen: restore requests this pass served. */
  restored?: number;
  /** The READY screen: sources that come and go, away at their last try. */
  away?: number;
  /** The READY screen: the next scheduled wake. */
  wake: Date;
}

/** After the next wake plus this long, a READY screen is stale: the node should have redrawn it by then. */
const VALID_GRACE_HOURS = 6;

/** "11-23 03:00": short enough for a line of large type on 296 pixels. */
const short = (date: Date) =>
  localTime(date)
    .replace(/^\d{4}-/, '')
    .replace(/ \S+$/, '');

/** Characters a detail line holds (scale 2) and the state line (scale 3): the board program's fit() cuts past them. */
export const LINE_CHARS = 18;
export const STATE_CHARS = 12;
/** What the FAILED screen says when nothing names the failure. */
export const FAILURE_DEFAULT = 'odbackup status has details';

/**
 * Text in lines of at most `width` characters, broken between words, at most `count` lines: a word longer than a
 * line is broken inside (a path); when more than `count` lines would be needed, the last one shown ends in ".." (the
 * Badger's font is ASCII).
 */
export function wrapWords(text: string, width: number, count: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 1 + word.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else for (let start = 0; start < word.length; start += width) lines.push(word.slice(start, start + width));
  }
  if (lines.length <= count) return lines;
  const shown = lines.slice(0, count);
  if (count > 0) shown[count - 1] = `${shown[count - 1]!.slice(0, width - 2)}..`;
  return shown;
}

/**
 * The READY screen's first line: asleep, with the warnings, the sources away and the restore requests served, in
 * what fits (the last of them left out first).
 */
function sleepingLine({ warnings, restored, away }: ScreenFacts): string {
  const parts = [warnings ? `${warnings} warn` : '', away ? `${away} away` : '', restored ? `${restored} restored` : ''].filter(Boolean);
  if (parts.length === 0) return 'SLEEPING...';
  const candidates = parts.flatMap((_, index) => {
    const some = parts.slice(0, parts.length - index);
    return [`SLEEPING, ${some.join(', ')}`, some.join(', '), some.join(' '), some.join(', ').replace(' restored', ' rest.')];
  });
  return candidates.find((line) => line.length <= LINE_CHARS) ?? candidates.at(-1)!.slice(0, LINE_CHARS);
}

/** The screens that show the network line (and so need it gathered). */
export const NETWORK_SCREENS: readonly ScreenName[] = ['start', 'failed'];

export function screenFor(facts: ScreenFacts, name: ScreenName, text?: string): ScreenStatus {
  const base = { node: facts.node, time: localTime(facts.now).replace(/^\d{4}-/, '') };
  const ip = `IP ${facts.address ?? 'none'}`.slice(0, LINE_CHARS);
  const network = facts.network ? [ip, `net ${facts.network.internet}  ssh ${facts.network.ssh}`] : [ip];
  switch (name) {
    case 'start':
      return { ...base, state: 'START', lines: facts.powerRestored ? ['after power cut', ...network] : network };
    case 'failed':
      return {
        ...base,
        state: `FAILED (${facts.failure?.code ?? '1'})`,
        lines: [...wrapWords(text ?? facts.failure?.what ?? FAILURE_DEFAULT, LINE_CHARS, 4 - network.length), ...network],
      };
    case 'ready': {
      const validUntil = new Date(facts.wake.getTime() + VALID_GRACE_HOURS * 3_600_000);
      return {
        ...base,
        state: 'BACKUP READY',
        lines: [sleepingLine(facts), `wake ${short(facts.wake)}`, `valid ${short(validUntil)}`, ip],
      };
    }
    case 'maintenance':
      return { ...base, state: 'MAINTENANCE', lines: [ip, 'ssh open'] };
    case 'message': {
      // A message longer than the large line goes on in the detail lines, broken between words.
      const [state = '', ...rest] = wrapWords(text ?? '', STATE_CHARS, Infinity);
      return { ...base, state, lines: wrapWords(rest.join(' '), LINE_CHARS, 4) };
    }
  }
}
