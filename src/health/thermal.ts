import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ZoneTemperature {
  zone: string;
  type: string;
  celsius: number;
}

/** Every thermal zone's temperature (the kernel reports millidegrees) under <root>/sys/class/thermal. */
export function readTemperatures(root: string): ZoneTemperature[] {
  const base = join(root, 'sys/class/thermal');
  let zones: string[];
  try {
    zones = readdirSync(base).filter((name) => name.startsWith('thermal_zone'));
  } catch {
    return [];
  }
  return zones.flatMap((zone) => {
    try {
      const milli = Number(readFileSync(join(base, zone, 'temp'), 'utf8').trim());
      const type = readFileSync(join(base, zone, 'type'), 'utf8').trim();
      return Number.isFinite(milli) ? [{ zone, type, celsius: milli / 1000 }] : [];
    } catch {
      // a zone that cannot be read (sensor asleep) is left out
      return [];
    }
  });
}
