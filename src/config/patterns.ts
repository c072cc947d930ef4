/**
 * The expected-file patterns of a source (`expect`): `{…}` holds date directives and a modifier, e.g.
 * `ajapaik_web_db_daily_{%d}.psql.gz.enc` or `db_{%Y-%m-%d@-1}.gz`. `config check` refuses what would not expand.
 */
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
  return format.replace(/%(.?)/g, (_, field: string) => {
    const value = fields[field];
    if (value === undefined) throw new Error(`unknown %${field} in {${format}}: use %Y %m %d %H %M or %%`);
    return value;
  });
}

/** `ajapaik_web_db_daily_{%d}.psql.gz.enc` on the 22nd → `ajapaik_web_db_daily_22.psql.gz.enc` */
export function expandPattern(pattern: string, now: Date): string {
  return pattern.replace(/\{([^{}@]*)(?:@([^{}]+))?\}/g, (_, format: string, modifier?: string) => strftime(format, shifted(now, modifier)));
}

/** What is wrong with an expected-file pattern (checked by `config check`), or undefined. */
export function patternProblem(pattern: string): string | undefined {
  const outside = pattern.replace(/\{[^{}]*\}/g, '');
  if (/%[A-Za-z]/.test(outside)) return `a date directive outside braces: write {%Y-%m-%d}, not %Y-%m-%d`;
  try {
    expandPattern(pattern, new Date());
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
