import { exampleConfig } from '../config/example.js';
import { loadConfig } from '../config/load.js';
import { configSchema } from '../config/schema.js';
import { ok, type Step } from './types.js';

const ACTIONS = ['check', 'show', 'schema', 'example'] as const;

/** Configuration keys whose whole value is a secret URL (a ping key, a webhook token): only the origin is shown. */
const SECRET_URL_KEYS = new Set(['url', 'urls', 'webhook', 'token', 'maintenanceUrl']);
const URL_PATH = /^([a-z][a-z0-9+.-]*:\/\/[^/?#]+)[/?#].*$/i;
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/)[^/@]+@/i;

/** The configuration as `config show` prints it: secrets never leave the machine in output or logs. */
export function maskSecrets(value: unknown, secret = false): unknown {
  if (typeof value === 'string') return secret ? value.replace(URL_PATH, '$1/***') : value.replace(URL_PASSWORD, '$1***@');
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, secret));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskSecrets(item, secret || SECRET_URL_KEYS.has(key))]));
  }
  return value;
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
        return ok(`${ctx.configPath}: valid (node ${config.node}, ${config.sources.length} sources)`);
      }
    }
  },
  render(result) {
    return typeof result.data === 'object' ? JSON.stringify(result.data, null, 2) : result.message;
  },
};
