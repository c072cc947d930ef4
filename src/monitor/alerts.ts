import type { HttpRequest } from '../adapters/http.js';
import { counted } from '../words.js';
import type { AlertTarget } from '../config/types.js';
import { EXIT_CODES, warningLine } from '../exit-codes.js';
import type { PassRecord } from '../state/run-state.js';
import { fitBody } from './pings.js';

/** What an alert says, whatever carries it. */
export interface Alert {
  node: string;
  level: 'failure' | 'warning' | 'test';
  code: number;
  meaning: string;
  /** The step (or source) that failed. */
  step?: string;
  message: string;
  warnings: string[];
  logTail: string[];
  time: string;
  runId: string;
}

/** The alert for a pass, or undefined when there is nothing to say (all ok; warnings unless wanted). */
export function alertOf(node: string, pass: PassRecord, logTail: string[], onWarning: boolean): Alert | undefined {
  const warnings = pass.warnings.map((warning) => warningLine(warning));
  const base = { node, warnings, logTail, time: pass.endedAt ?? new Date().toISOString(), runId: pass.runId };
  if (pass.firstFailure) {
    const { code, step, message } = pass.firstFailure;
    return { ...base, level: 'failure', code: EXIT_CODES[code].code, meaning: EXIT_CODES[code].meaning, step, message };
  }
  if (warnings.length === 0 || !onWarning) return undefined;
  return {
    ...base,
    level: 'warning',
    code: 0,
    meaning: EXIT_CODES.ok.meaning,
    message: `pass completed with ${counted(warnings.length, 'warning')}`,
  };
}

export function alertTitle(alert: Alert): string {
  if (alert.level === 'test') return `${alert.node}: test alert`;
  return alert.level === 'failure' ? `${alert.node}: FAILED (${alert.code}) ${alert.meaning}` : `${alert.node}: backup OK, with warnings`;
}

function alertHead(alert: Alert): string {
  return [alert.step ? `${alert.step}: ${alert.message}` : alert.message, ...alert.warnings].join('\n');
}

/** ntfy stores at most 4096 bytes as a message (more becomes an attachment). */
const NTFY_LIMIT = 4096;

const json = (value: unknown): Pick<HttpRequest, 'headers' | 'body'> => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });

export function alertRequest(target: AlertTarget, alert: Alert): HttpRequest {
  switch (target.style) {
    case 'slack':
      return {
        method: 'POST',
        url: target.url,
        ...json({
          text: `*${alertTitle(alert)}*\n${alertHead(alert)}${alert.logTail.length ? `\n\`\`\`\n${alert.logTail.slice(-15).join('\n')}\n\`\`\`` : ''}`,
        }),
      };
    case 'ntfy': {
      const headers: Record<string, string> = {
        title: alertTitle(alert),
        priority: String(alert.level === 'failure' ? target.priority : 3),
        tags: [alert.level === 'failure' ? 'rotating_light' : alert.level === 'warning' ? 'warning' : 'test_tube', ...target.tags].join(','),
        'content-type': 'text/plain; charset=utf-8',
      };
      if (target.token) headers.authorization = `Bearer ${target.token}`;
      return { method: 'POST', url: target.url, headers, body: fitBody(alertHead(alert), alert.logTail.length ? `\n${alert.logTail.slice(-15).join('\n')}` : '', NTFY_LIMIT) };
    }
    case 'webhook':
      return { method: 'POST', url: target.url, ...json(alert) };
  }
}
