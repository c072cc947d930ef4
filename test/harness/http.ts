import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, as the server saw it. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  /** Date.now() when the request arrived. */
  at: number;
}

/**
 * How the server answers: like a monitor that works (with a healthchecks-style Ping-Body-Limit), one that is slow
 * past any timeout, one that answers 500, one that rate-limits with 429 + Retry-After a given number of times.
 */
export type Mode =
  | { kind: 'ok'; bodyLimit?: number; answer?: string }
  | { kind: 'slow'; ms: number }
  | { kind: 'status'; status: number }
  | { kind: 'rate-limited'; times: number; retryAfter: number };

/** A real HTTP server on 127.0.0.1 that records every request. */
export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  mode: Mode = { kind: 'ok' };
  private server?: Server;
  port = 0;

  static async start(port = 0): Promise<RecordingServer> {
    const recorder = new RecordingServer();
    await recorder.listen(port);
    return recorder;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Listens again on the same port (a monitor that comes back). */
  async listen(port = this.port): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops listening: connections are refused until listen() again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const mode = this.mode;
    let body = Buffer.concat(chunks).toString('utf8');
    if (mode.kind === 'ok' && mode.bodyLimit !== undefined) body = Buffer.from(body).subarray(0, mode.bodyLimit).toString('utf8');
    this.requests.push({
      method: request.method ?? '',
      path: url.pathname + url.search,
      query: url.searchParams,
      headers: request.headers,
      body,
      at: Date.now(),
    });
    switch (mode.kind) {
      case 'ok':
        if (mode.bodyLimit !== undefined) response.setHeader('Ping-Body-Limit', String(mode.bodyLimit));
        response.end(mode.answer ?? 'OK');
        return;
      case 'slow':
        setTimeout(() => response.end('OK'), mode.ms).unref();
        return;
      case 'status':
        response.statusCode = mode.status;
        response.end('rollup_error');
        return;
      case 'rate-limited':
        if (mode.times > 0) {
          mode.times -= 1;
          response.statusCode = 429;
          response.setHeader('Retry-After', String(mode.retryAfter));
          response.end('rate limited');
          return;
        }
        response.end('ok');
    }
  }
}

/** A URL on which nothing listens: connection refused. */
export async function refusedUrl(path = '/'): Promise<string> {
  const server = await RecordingServer.start();
  const url = server.url(path);
  await server.stop();
  return url;
}
