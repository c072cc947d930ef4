import type { Config } from './types.js';

/** Secrets live in one place: what they are in a configuration, how the logger finds them, how output shows them. */

/**
 * What the logger masks of a URL: the whole URL, its password, and every path segment or query value long enough to
 * be a key (UUIDs, ping keys, push tokens, webhook tokens), wherever they turn up.
 */
export function secretsOf(url: string): string[] {
  const parsed = new URL(url);
  const pieces = [...parsed.pathname.split('/'), ...parsed.searchParams.values()].filter((piece) => piece.length >= 16);
  return [url, parsed.password, ...pieces.map((piece) => decodeURIComponent(piece))].filter(Boolean);
}

/** A URL as output shows it: where it goes, not what it carries. */
export function maskedUrl(url: string): string {
  return `${new URL(url).origin}/***`;
}

/** Every secret in a configuration (ping URLs and keys, webhook URLs, tokens): the logger masks them all. */
export function secretsOfConfig(config: Config): string[] {
  const urls = [...config.heartbeat.monitors.map((monitor) => monitor.url), ...config.notify.targets.map((target) => target.url)];
  if (config.heartbeat.maintenanceUrl) urls.push(config.heartbeat.maintenanceUrl);
  const tokens = config.notify.targets.flatMap((target) => (target.token ? [target.token] : []));
  return [...urls.flatMap(secretsOf), ...tokens];
}

/** The configuration keys whose values are secrets (schema: heartbeat.monitors[].url, maintenanceUrl, notify.targets[].url and token). */
const SECRET_KEYS = new Set(['url', 'maintenanceUrl', 'token']);
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/)[^/@]+@/i;

/** The configuration as `config show` prints it: a secret URL shows where it goes, any other secret nothing. */
export function maskSecrets(value: unknown, secret = false): unknown {
  if (typeof value === 'string') {
    if (!secret) return value.replace(URL_PASSWORD, '$1***@');
    return URL.canParse(value) ? maskedUrl(value) : '***';
  }
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, secret));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskSecrets(item, secret || SECRET_KEYS.has(key))]));
  }
  return value;
}
