import { dirname, join } from 'node:path';
import { isRemoteLocation } from '../config/load.js';
import type { Config } from '../config/types.js';

/**
 * odbackup.service runs the pass with the whole file system read-only (ProtectSystem=strict) but for its state
 * directory and what the configuration names: these paths, opened by a drop-in that `odbackup setup` writes from
 * the configuration (the one source of truth, as for the timer's schedule).
 */
export function writablePaths(config: Config): string[] {
  const local = (location: string | undefined) => (location !== undefined && !isRemoteLocation(location) ? [location] : []);
  const paths = [
    config.stateDir,
    // A store on its own disk is writable as the mount PID 1 makes (a mount made after the sandbox was set up is
    // not made read-only); a bind mount here would hide it from the pass.
    ...(config.storage.device ? [] : [config.storage.path]),
    ...local(config.catalog.to),
    ...Object.values(config.restore.destinations).flatMap(local),
    ...(config.display.preview ? [dirname(config.display.preview)] : []),
  ];
  return [...new Set(paths)];
}

export function serviceDropIn(root: string): string {
  return join(root, 'etc/systemd/system/odbackup.service.d/odbackup-paths.conf');
}

/** One path as a unit file's word: quoted, `%` not a specifier, control characters C-escaped; `-`: may be missing. */
function unitWord(path: string): string {
  const escaped = path
    .replace(/[\\"]/g, (character) => `\\${character}`)
    .replace(/%/g, '%%')
    .replace(/[\x00-\x1f\x7f]/g, (character) => `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return `"-${escaped}"`;
}

export function serviceDropInText(config: Config): string {
  const lines = writablePaths(config).map((path) => `ReadWritePaths=${unitWord(path)}`);
  return `# Written by \`odbackup setup\` from the configuration (the store, stateDir, restore.destinations, catalog.to,\n# display.preview): change it there, then run setup again.\n[Service]\n${lines.join('\n')}\n`;
}
