import { exampleConfig } from '../config/example.js';
import { existsSync } from 'node:fs';
import { isRemoteLocation, loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { counted } from '../words.js';
import { configSchema } from '../config/schema.js';
import { maskSecrets } from '../config/secrets.js';
import { ok, type Step } from './types.js';

const ACTIONS = ['check', 'show', 'schema', 'example'] as const;

/** The local folders the configuration names that do not exist (the store without its own disk, local sources, …). */
function missingPaths(config: Config): string[] {
  const local = (location: string | undefined) => (location && !isRemoteLocation(location) ? location : undefined);
  const named: [string, string | undefined][] = [
    ['storage.path', config.storage.device ? undefined : config.storage.path],
    ...config.sources.map((source, index): [string, string | undefined] => [`sources[${index}].from`, source.kind === 'rsync' ? local(source.from) : undefined]),
    ...Object.entries(config.restore.destinations).map(([name, to]): [string, string | undefined] => [`restore.destinations.${name}`, local(to)]),
    ['catalog.to', local(config.catalog.to)],
    ['catalog.requests', local(config.catalog.requests)],
  ];
  return named.filter(([, path]) => path !== undefined && !existsSync(path)).map(([key, path]) => `${key} ${path}`);
}

export const configStep: Step = {
  name: 'config',
  summary: 'check, show (secrets masked), or print the schema or an example of the configuration',
  arguments: [{ name: 'action', description: ACTIONS.join(' | '), required: true, choices: ACTIONS }],
  locked: false,
  async run(ctx, { args: [action] }) {
    switch (action) {
      case 'schema':
        return ok('the configuration schema', configSchema);
      case 'example':
        return ok('an example configuration', exampleConfig);
      case 'show':
        return ok(`the configuration ${ctx.configPath}, resolved`, maskSecrets(ctx.config));
      default: {
        const config = loadConfig(ctx.configPath);
        const missing = missingPaths(config);
        const valid = `${ctx.configPath}: valid (node ${config.node}, ${counted(config.sources.length, 'source')})`;
        // Relative paths are relative to the file: a copy elsewhere points at folders that are not there.
        return ok(missing.length ? `${valid}; but not there (paths are relative to the file): ${missing.join(', ')}` : valid);
      }
    }
  },
  render(result) {
    return typeof result.data === 'object' ? JSON.stringify(result.data, null, 2) : result.message;
  },
};
