import type { Config } from '../config/types.js';

/**
 * Who gets what back (README: Who gets what back). The web server says who a person is; the configuration says what
 * each may see and where each may send files. A source or destination that names no person is staff-only.
 */
export type People = Config['people'];

export function hasPeople(config: Config): boolean {
  return Object.keys(config.people).length > 0;
}

export function maySee(config: Config, person: string, source: string): boolean {
  const grants = config.people[person];
  return Boolean(grants && (grants.staff || grants.sources.includes(source)));
}

export function maySendTo(config: Config, person: string, destination: string): boolean {
  const grants = config.people[person];
  return Boolean(grants && (grants.staff || grants.destinations.includes(destination)));
}

/** The destinations a person may choose on the page. */
export function destinationsOf(config: Config, person: string): string[] {
  return Object.keys(config.restore.destinations).filter((name) => maySendTo(config, person, name));
}
