import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { systemctl } from '../adapters/systemctl.js';
import { exampleConfig } from '../config/example.js';
import { timerDropIn, timerDropInText } from '../power/schedule.js';
import { writeFileAtomic } from '../state/atomic.js';
import { checkStep } from '../steps/check.js';
import { serviceDropIn, serviceDropInText } from './sandbox.js';
import { configStep } from '../steps/config.js';
import { scheduleStep } from '../steps/schedule.js';
import { failed, ok, type Step } from '../steps/types.js';
import { runStep } from './run.js';

const TIMER = 'odbackup.timer';

/**
 * After installing: the configuration from the example when there is none (to be edited), then the checks a node
 * must pass before it is trusted to wake itself; the timer is enabled only when all of them pass.
 */
export const setupStep: Step = {
  name: 'setup',
  summary: `first setup: write the configuration from the example if missing; check it, the hardware and the schedule; enable ${TIMER} when all pass`,
  options: [{ flags: '-n, --dry-run', description: `check only; do not enable ${TIMER}` }],
  locked: false,
  async run(ctx) {
    if (!existsSync(ctx.configPath)) {
      mkdirSync(dirname(ctx.configPath), { recursive: true, mode: 0o755 });
      writeFileAtomic(ctx.configPath, JSON.stringify({ ...exampleConfig, $schema: undefined }, null, 2) + '\n');
      chmodSync(ctx.configPath, 0o600); // it will hold ping URLs and webhook secrets
      return ok(`wrote ${ctx.configPath} from the example: set node, storage, sources and monitors (odbackup.json(5)), then run \`odbackup setup\` again`);
    }
    const lines: string[] = [];
    const checks = [
      { step: configStep, args: ['check'] },
      { step: checkStep, args: [] },
      { step: scheduleStep, args: [] },
    ];
    for (const { step, args } of checks) {
      const result = await runStep(step, ctx, { args, options: {} });
      if (result.status === 'failed')
        return failed(
          result.code ?? 'internal',
          `setup stopped at \`odbackup ${[step.name, ...args].join(' ')}\`: ${result.message}; ${TIMER} is not enabled`,
          result.hint,
        );
      // The schedule's first line only heads the wakes: the next wake is what setup has to say of it.
      const said = result.message.split('\n');
      lines.push(`${step.name}: ${step === scheduleStep ? `next wake ${said[1]!.trim()}` : said[0]}`);
    }
    if (ctx.dryRun) return ok([...lines, `dry run: ${TIMER} not enabled`].join('\n'));
    // The timer's schedule and what the pass's sandbox may write, from the configuration: each drop-in rewritten
    // when it differs, and systemd told.
    const dropIns = [
      { path: timerDropIn(ctx.config.system.root), text: timerDropInText(ctx.config.schedule.times), what: `${TIMER}: schedule ${ctx.config.schedule.times.join(', ')}` },
      { path: serviceDropIn(ctx.config.system.root), text: serviceDropInText(ctx.config), what: 'odbackup.service: the paths the pass writes' },
    ].filter(({ path, text }) => !existsSync(path) || readFileSync(path, 'utf8') !== text);
    for (const { path, text, what } of dropIns) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileAtomic(path, text);
      lines.push(`${what} (${path} written)`);
    }
    if (dropIns.length > 0) {
      const reload = await systemctl(ctx.config.system.programs.systemctl, ['daemon-reload']);
      if (reload) return failed('usage', `setup: systemctl daemon-reload failed after writing ${dropIns.map(({ path }) => path).join(', ')}: ${reload}`, 'run `systemctl daemon-reload` by hand');
    }
    const error = await systemctl(ctx.config.system.programs.systemctl, ['enable', '--now', TIMER]);
    if (error) return failed('usage', `setup: enabling ${TIMER} failed: ${error}`, `run \`systemctl enable --now ${TIMER}\` by hand`);
    return ok([...lines, `${TIMER} enabled: the node now wakes itself for the pass`].join('\n'));
  },
};
