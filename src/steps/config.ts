import { exampleConfig } from '../config/example.js';
import { loadConfig } from '../config/load.js';
import { configSchema } from '../config/schema.js';
import { maskSecrets } from '../config/secrets.js';
import { ok, type Step } from './types.js';

const ACTIONS = ['check', 'show', 'schema', 'example'] as const;

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
