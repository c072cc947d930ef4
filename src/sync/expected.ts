import fg from 'fast-glob';

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** `@-1` is yesterday, `@monday` the most recent Monday (today if it is one); local time. */
function shifted(now: Date, modifier: string | undefined): Date {
  const date = new Date(now);
  if (!modifier) return date;
  if (/^[+-]\d+$/.test(modifier)) {
    date.setDate(date.getDate() + Number(modifier));
    return date;
  }
  const weekday = WEEKDAYS.indexOf(modifier.toLowerCase());
  if (weekday < 0) throw new Error(`unknown date modifier @${modifier}: use @-N or a weekday name`);
  date.setDate(date.getDate() - ((date.getDay() - weekday + 7) % 7));
  return date;
}

function strftime(format: string, date: Date): string {
  const two = (value: number) => String(value).padStart(2, '0');
  const fields: Record<string, string> = {
    Y: String(date.getFullYear()),
    m: two(date.getMonth() + 1),
    d: two(date.getDate()),
    H: two(date.getHours()),
    M: two(date.getMinutes()),
    '%': '%',
  };
  return format.replace(/%(.)/g, (whole, field: string) => fields[field] ?? whole);
}

/** `ajapaik_web_db_daily_{%d}.psql.gz.enc` on the 22nd → `ajapaik_web_db_daily_22.psql.gz.enc` */
export function expandPattern(pattern: string, now: Date): string {
  return pattern.replace(/\{([^{}@]*)(?:@([^{}]+))?\}/g, (_, format: string, modifier?: string) => strftime(format, shifted(now, modifier)));
}

/** The expected patterns (after expansion; glob characters allowed) that match no file under directory. */
export async function missingExpectedFiles(directory: string, patterns: readonly string[], now: Date): Promise<string[]> {
  const missing: string[] = [];
  for (const pattern of patterns) {
    const expanded = expandPattern(pattern, now);
    const found = await fg(expanded, { cwd: directory, dot: true, onlyFiles: true, caseSensitiveMatch: true });
    if (found.length === 0) missing.push(expanded);
  }
  return missing;
}
