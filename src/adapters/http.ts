import type { Config } from '../config/types.js';
import type { RequestError } from 'got';
import { loadBundled } from '../vendor.js';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpPolicy {
  timeoutMs: number;
  /** Retries after the first attempt: on network errors, 408, 429 and 5xx (1 s, 2 s, 4 s … apart, or Retry-After). */
  retries: number;
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A request that did not succeed; the message names the reason, never the URL (it carries secrets). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A Retry-After longer than this is not waited for: the pass must end in bounded time. */
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * Hosts that let a request time out during this run (this process: one pass). A dead monitor costs its timeout
 * once per pass, not once per request: later requests to it fail at once and their pings wait in the queue.
 */
const unresponsive = new Set<string>();

/**
 * One HTTP request with got: an explicit timeout per attempt (got has none by default) and bounded retries.
 * Resolves on 2xx; throws DeliveryError otherwise.
 */
export async function send(request: HttpRequest, policy: HttpPolicy): Promise<HttpAnswer> {
  // Loaded on first use: most commands never send a request, and got is a tenth of a second to load.
  const { got, HTTPError, RequestError } = await loadBundled('got', () => import('got'));
  const host = new URL(request.url).host;
  if (unresponsive.has(host)) throw new DeliveryError('no answer earlier in this pass: not asked again');
  try {
    const response = await got(request.url, {
      method: request.method,
      headers: { 'user-agent': 'odbackup', ...request.headers },
      body: request.body,
      timeout: { request: policy.timeoutMs },
      retry: {
        limit: policy.retries,
        methods: ['GET', 'POST', 'HEAD'],
        statusCodes: [408, 429, 500, 502, 503, 504],
        // Not a timeout: a host that hangs would cost the whole timeout again on every retry.
        errorCodes: ['ECONNRESET', 'EADDRINUSE', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'ENETUNREACH', 'EAI_AGAIN'],
        maxRetryAfter: MAX_RETRY_AFTER_MS,
        backoffLimit: 8000,
      },
      signal: policy.signal,
      throwHttpErrors: true,
    });
    return { status: response.statusCode, body: response.body, headers: response.headers };
  } catch (error) {
    if (error instanceof HTTPError) {
      const answer = String(error.response.body ?? '')
        .trim()
        .split('\n')[0]
        ?.slice(0, 120);
      throw new DeliveryError(`HTTP ${error.response.statusCode}${answer ? ` "${answer}"` : ''}`, error.response.statusCode);
    }
    if (error instanceof RequestError) {
      if (error.code === 'ETIMEDOUT') unresponsive.add(host);
      throw new DeliveryError(describe(error));
    }
    if ((error as Error).name === 'AbortError') throw new DeliveryError('cancelled');
    throw error;
  }
}

function describe(error: RequestError): string {
  if (error.code === 'ETIMEDOUT') return 'no answer within the timeout';
  if (error.code === 'ECONNREFUSED') return 'connection refused';
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return `host not found (${error.code})`;
  // got's messages name the host and port at most, never the path or query.
  return error.code ? `${error.code}: ${error.message}` : error.message;
}

/** How monitors and alert targets are asked: heartbeat.timeoutSeconds per request, heartbeat.retries more tries. */
export function httpPolicy(config: Config, signal?: AbortSignal): HttpPolicy {
  return { timeoutMs: config.heartbeat.timeoutSeconds * 1000, retries: config.heartbeat.retries, signal };
}
