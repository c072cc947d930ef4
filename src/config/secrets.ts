import { secretsOf } from '../monitor/pings.js';
import type { Config } from './types.js';

/** Every secret in a configuration (ping URLs and keys, webhook URLs, tokens): the logger masks them all. */
export function secretsOfConfig(config: Config): string[] {
  const urls = [...config.heartbeat.monitors.map((monitor) => monitor.url), ...config.notify.targets.map((target) => target.url)];
  if (config.heartbeat.maintenanceUrl) urls.push(config.heartbeat.maintenanceUrl);
  const tokens = config.notify.targets.flatMap((target) => (target.token ? [target.token] : []));
  return [...urls.flatMap(secretsOf), ...tokens];
}
