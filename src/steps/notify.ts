import { DeliveryError, send, httpPolicy } from '../adapters/http.js';
import { alertOf, alertRequest, alertTitle, type Alert } from '../monitor/alerts.js';
import { maskedUrl } from '../config/secrets.js';
import { monitorName } from '../monitor/pings.js';
import { failed, ok, skipped, type Step } from './types.js';

interface NotifyOptions {
  test?: boolean;
  dryRun?: boolean;
}

export const notifyStep: Step<NotifyOptions> = {
  name: 'notify',
  summary: 'alert Slack, ntfy or a webhook about a failed pass (and warnings); --test sends a test alert',
  options: [
    { flags: '--test', description: 'send a test alert to every target' },
    { flags: '--dry-run', description: 'print what would be sent; send nothing' },
  ],
  locked: false,
  async run(ctx, { options }) {
    const { notify, node } = ctx.config;
    if (notify.targets.length === 0) return skipped('no alert targets configured (notify.targets)');
    // Inside cycle: this pass; by hand: the last recorded one.
    const pass = ctx.pass ?? ctx.state.read().passes[0];
    const now = ctx.now().toISOString();
    const alert: Alert | undefined = options.test
      ? {
          node,
          level: 'test',
          code: 0,
          meaning: 'test',
          message: `test alert from odbackup on ${node}; alerts arrive here`,
          warnings: [],
          logTail: [],
          time: now,
          runId: ctx.runId,
        }
      : pass && alertOf(node, pass, ctx.log.tail(30), notify.onWarning);
    if (!alert) return skipped(pass ? 'nothing to report: the pass succeeded' : 'nothing to report: no pass recorded yet');
    if (ctx.dryRun) {
      const requests = notify.targets.map((target) => `${target.style}: ${alertRequest(target, alert).method} ${maskedUrl(target.url)}`);
      return ok(`would send "${alertTitle(alert)}" to ${requests.join(', ')}`, { alert, requests });
    }
    const policy = httpPolicy(ctx.config, ctx.signal);
    const results = await Promise.all(
      notify.targets.map(async (target) => {
        const name = monitorName(target);
        try {
          await send(alertRequest(target, alert), policy);
          return { target: name, delivered: true };
        } catch (error) {
          if (!(error instanceof DeliveryError)) throw error;
          return { target: name, delivered: false, error: error.message };
        }
      }),
    );
    const undelivered = results.filter((result) => !result.delivered);
    const summary = `"${alertTitle(alert)}" sent to ${results.length - undelivered.length} of ${results.length} targets`;
    if (undelivered.length)
      return failed('monitorUndelivered', `${summary}; ${undelivered.map((result) => `${result.target}: ${result.error}`).join('; ')}`, undefined, {
        alert,
        results,
      });
    return ok(summary, { alert, results });
  },
};
