import { DeliveryError, httpPolicy, send, type HttpPolicy } from '../adapters/http.js';
import type { Config, Monitor } from '../config/types.js';
import { sourceCoverageText } from '../verify/scrub.js';
import { sourcePresence } from '../sync/presence.js';
import { rotLines } from '../verify/heal.js';
import { EXIT_CODES, warningLine } from '../exit-codes.js';
import { maskedUrl } from '../config/secrets.js';
import { asksForMaintenance, DEFAULT_BODY_LIMIT, monitorKey, monitorName, pingRequest } from '../monitor/pings.js';
import { table } from '../render.js';
import { counted } from '../words.js';
import { failureCodeOf, PING_EVENTS, requestsOfPass, type MonitorState, type PassRecord, type Ping, type PingEvent } from '../state/run-state.js';
import { failed, ok, skipped, type Context, type Step } from './types.js';

interface HeartbeatOptions {
  code?: number;
  dryRun?: boolean;
}

export interface MonitorReport {
  monitor: string;
  /** Queued pings delivered (marked late) before this one. */
  late: number;
  delivered: boolean;
  /** Pings waiting for the next pass (this one included when it failed). */
  queued: number;
  dropped: number;
  error?: string;
  request?: string;
}

/** The exit code a fail ping reports: --code, else the pass's first fatal failure, else 1. */
function failCode(option: number | undefined, pass: PassRecord | undefined): number {
  if (option !== undefined) return option;
  return failureCodeOf(pass);
}

/** What a ping says: one line for monitors that show one line, the log tail for those that keep a body. */
export function pingOf(ctx: Context, event: PingEvent, exitCode: number): Ping {
  const { node } = ctx.config;
  const pass = ctx.pass;
  const warnings = (pass?.warnings ?? []).map((warning) => warningLine(warning));
  const meaning = Object.values(EXIT_CODES).find((entry) => entry.code === exitCode)?.meaning ?? 'unknown code';
  const message =
    event === 'start'
      ? `${node}: pass started${pass?.wake ? ` (${pass.wake.message})` : ''}`
      : event === 'success'
        ? `${node}: OK${warnings.length ? ` with ${counted(warnings.length, 'warning')}` : ''}`
        : `${node}: FAILED (${exitCode}) ${meaning}${pass?.firstFailure ? ` — ${pass.firstFailure.step}: ${pass.firstFailure.message}` : ''}`;
  const { scrubDays } = ctx.config.verify;
  const scrub = ctx.state.read().scrub;
  const coverage =
    event === 'start'
      ? []
      : ctx.config.sources.map((source) => `${source.name}: ${sourceCoverageText(scrub, source.name, scrubDays, ctx.now())}`);
  const requests = event === 'start' ? { done: 0, failed: 0 } : requestsOfPass(ctx.state.read(), pass);
  const served = requests.done + requests.failed ? [`restore requests: ${requests.done} served, ${requests.failed} refused or failed`] : [];
  const comesAndGoes = event === 'start' ? [] : sourcePresence(ctx.config, ctx.state.read(), ctx.now()).filter((source) => source.away).map((source) => `${source.source}: ${source.text}`);
  const rot = event === 'start' ? [] : rotLines(ctx.state.read(), pass?.startedAt);
  const body = [...comesAndGoes, ...rot, ...warnings, ...coverage, ...served, ...(event === 'fail' ? ctx.log.tail(60) : [])].join('\n');
  // Outside a pass there is no run to pair: a start and a success sent by hand carry no run id, and the
  // monitor pairs them as healthchecks pairs any two pings without one.
  return { event, exitCode, time: ctx.now().toISOString(), ...(ctx.pass ? { runId: ctx.runId } : {}), node, message, body };
}

/** Delivers a monitor's queue (in order, marked late), then the ping; what cannot go now waits in the queue. */
async function deliver(monitor: Monitor, saved: MonitorState, ping: Ping, policy: HttpPolicy, queueSize: number): Promise<[MonitorReport, MonitorState]> {
  const queue = [...saved.queue];
  let { bodyLimit, dropped } = saved;
  const report: MonitorReport = { monitor: monitorName(monitor), late: 0, delivered: false, queued: 0, dropped };
  try {
    while (queue.length > 0) {
      const answer = await send(pingRequest(monitor, queue[0]!, true, bodyLimit ?? DEFAULT_BODY_LIMIT), policy);
      bodyLimit = Number(answer.headers['ping-body-limit']) || bodyLimit;
      queue.shift();
      report.late += 1;
    }
    const answer = await send(pingRequest(monitor, ping, false, bodyLimit ?? DEFAULT_BODY_LIMIT), policy);
    bodyLimit = Number(answer.headers['ping-body-limit']) || bodyLimit;
    report.delivered = true;
    dropped = 0;
  } catch (error) {
    if (!(error instanceof DeliveryError)) throw error;
    report.error = error.message;
    queue.push(ping);
    const overflow = Math.max(0, queue.length - queueSize);
    queue.splice(0, overflow);
    dropped += overflow;
  }
  report.queued = queue.length;
  report.dropped = dropped;
  return [report, { queue, dropped, bodyLimit }];
}

/** Asks the maintenance URL whether the node must stay up; undefined when it could not be asked. */
async function maintenanceAnswer(config: Config, policy: HttpPolicy): Promise<{ requested: boolean } | { error: string }> {
  try {
    const answer = await send({ method: 'GET', url: config.heartbeat.maintenanceUrl! }, policy);
    return { requested: asksForMaintenance(answer.body) };
  } catch (error) {
    if (!(error instanceof DeliveryError)) throw error;
    return { error: error.message };
  }
}

export const heartbeatStep: Step<HeartbeatOptions> = {
  name: 'heartbeat',
  summary: 'ping the monitors (start, success or fail), delivering queued pings first; at start, ask about maintenance',
  arguments: [{ name: 'event', description: PING_EVENTS.join(' | '), required: true, choices: PING_EVENTS }],
  options: [
    { flags: '--code <n>', description: "the exit code a fail ping reports (default: the pass's, else 1)", integer: { min: 1, max: 255 } },
    { flags: '--dry-run', description: 'print the requests (secrets masked); send nothing, queue nothing' },
  ],
  locked: true,
  async run(ctx, { args: [eventArgument], options }) {
    const event = eventArgument as PingEvent;
    const { heartbeat } = ctx.config;
    const ping = pingOf(ctx, event, event === 'fail' ? failCode(options.code, ctx.pass) : 0);
    if (heartbeat.monitors.length === 0 && !heartbeat.maintenanceUrl) return skipped('no monitors configured (heartbeat.monitors)');
    if (ctx.dryRun) {
      const requests = heartbeat.monitors.map((monitor) => {
        const request = pingRequest(monitor, ping, false);
        return { monitor: monitorName(monitor), late: 0, delivered: false, queued: 0, dropped: 0, request: `${request.method} ${maskedUrl(request.url)}` };
      });
      return ok(`would send ${event} to ${counted(requests.length, 'monitor')}`, { event, monitors: requests });
    }
    const policy = httpPolicy(ctx.config, ctx.signal);
    const saved = ctx.state.read().heartbeat ?? {};
    const [outcomes, maintenance] = await Promise.all([
      Promise.all(
        heartbeat.monitors.map((monitor) => deliver(monitor, saved[monitorKey(monitor)] ?? { queue: [], dropped: 0 }, ping, policy, heartbeat.queueSize)),
      ),
      event === 'start' && heartbeat.maintenanceUrl ? maintenanceAnswer(ctx.config, policy) : undefined,
    ]);
    // Monitors no longer configured leave the state with their queues.
    ctx.state.saveMonitors(Object.fromEntries(heartbeat.monitors.map((monitor, index) => [monitorKey(monitor), outcomes[index]![1]])));
    const reports = outcomes.map(([report]) => report);
    const maintenanceRequest = maintenance && 'requested' in maintenance && maintenance.requested ? 'the monitor asked for maintenance' : undefined;
    const data = { event, monitors: reports, maintenance: maintenance && ('error' in maintenance ? { error: maintenance.error } : maintenance) };
    const problems = [
      ...reports.filter((report) => !report.delivered).map((report) => `${report.monitor}: ${report.error} (${report.queued} queued)`),
      ...(maintenance && 'error' in maintenance ? [`maintenance URL: ${maintenance.error}`] : []),
    ];
    const lateCount = reports.reduce((sum, report) => sum + report.late, 0);
    const summary = `${event} delivered to ${reports.filter((report) => report.delivered).length} of ${reports.length} monitors${lateCount ? `, ${lateCount} late pings delivered first` : ''}${maintenanceRequest ? '; the monitor asks for maintenance' : ''}`;
    if (problems.length > 0)
      return {
        ...failed('monitorUndelivered', `${summary}; ${problems.join('; ')}`, 'queued pings are sent, marked late, at the next heartbeat', data),
        maintenanceRequest,
      };
    return { ...ok(summary, data), maintenanceRequest };
  },
  render(result) {
    const data = result.data as { monitors: MonitorReport[] } | undefined;
    if (!data?.monitors.length) return result.message;
    const rows = data.monitors.map((report) => [
      report.monitor,
      report.request ?? (report.delivered ? 'delivered' : `not delivered: ${report.error}`),
      String(report.late),
      String(report.queued),
    ]);
    return `${table(['monitor', 'result', 'late sent', 'queued'], rows)}\n${result.message}`;
  },
};
