/**
 * The platform-neutral loopback HTTP server of the simulator.
 *
 * Each request goes: parse → find the claiming module (for the journal and fault matching) → fault
 * lookup → journal → fault or module → answer. Modules never touch the socket: they describe their
 * answer on a SimResponse, and the server writes it (or mangles it, when a fault says so).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SimClock } from './clock.js';
import { Faults, type FaultRule } from './faults.js';
import { Journal, redactHeaders, type JournalEntry } from './journal.js';

export interface SimRequest {
  method: string;
  /** Full URL; the host part is always the simulator's, whatever the Host header said. */
  url: URL;
  /** Pathname, percent-encoded as sent. */
  path: string;
  /** Query parameters (the last value wins when a name repeats). */
  query: Record<string, string>;
  /** Lower-case header names, real values (modules need the keys). */
  headers: Record<string, string>;
  body: string;
  rawBody?: Buffer;
}

export type BodyChunk = string | Buffer;
export type ReplyBody = Buffer | Iterable<BodyChunk> | AsyncIterable<BodyChunk>;

/** A module's answer, as described on a SimResponse. */
export interface SimReply {
  status: number;
  headers: Record<string, string>;
  /** A Buffer is sent with Content-Length; an iterable is streamed chunk by chunk (chunked encoding). */
  body: ReplyBody;
}

/** What a module uses to answer. Exactly one of the methods should be called per request. */
export class SimResponse {
  reply: SimReply | undefined;

  json(status: number, value: unknown, headers: Record<string, string> = {}): void {
    this.text(status, 'application/json; charset=utf-8', JSON.stringify(value), headers);
  }

  text(status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
    this.reply = {
      status,
      headers: { 'content-type': contentType, ...lowerCaseKeys(headers) },
      body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    };
  }

  /** No body at all, sent with `Content-Length: 0` (e.g. TDP's 202 on a trigger). */
  empty(status: number, headers: Record<string, string> = {}): void {
    this.reply = { status, headers: lowerCaseKeys(headers), body: Buffer.alloc(0) };
  }

  /** A body produced lazily and sent as it is produced (huge logs). */
  stream(status: number, contentType: string, chunks: Iterable<BodyChunk> | AsyncIterable<BodyChunk>, headers: Record<string, string> = {}): void {
    this.reply = { status, headers: { 'content-type': contentType, ...lowerCaseKeys(headers) }, body: chunks };
  }
}

export interface SimModule {
  /** Platform name, used in the journal and by fault rules ('timextender', 'qarion', 'planasonix'). */
  name: string;
  /**
   * Optional: whether this module owns the request, decided from method and path alone. The server uses it
   * to name the platform BEFORE running anything, so that faults with a `platform` filter can apply
   * without calling the module. Without it, the platform is only known after `handle` returned true.
   */
  claims?(req: SimRequest): boolean;
  /** Returns true when it answered the request (on `res`). */
  handle(req: SimRequest, res: SimResponse): Promise<boolean> | boolean;
}

export interface SimServerOptions {
  host?: string;
  port?: number;
  clock?: SimClock;
  journal?: Journal;
  faults?: Faults;
}

export class SimServer {
  readonly clock: SimClock;
  readonly journal: Journal;
  readonly faults: Faults;
  private readonly modules: SimModule[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly pendingTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(options: SimServerOptions = {}) {
    this.clock = options.clock ?? new SimClock();
    this.journal = options.journal ?? new Journal();
    this.faults = options.faults ?? new Faults();
    this.server = http.createServer((req, res) => {
      // The Date header tells the simulated clock, as a real server's tells its own: clients measure ages with it.
      res.sendDate = false;
      res.setHeader('date', new Date(this.clock.now()).toUTCString());
      this.onRequest(req, res).catch((error: unknown) => this.onInternalError(res, error));
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Modules mounted later are tried first, so a test's own module overrides a built-in one. */
  mount(module: SimModule): void {
    this.modules.unshift(module);
  }

  async listen(host = '127.0.0.1', port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
    return `http://${hostPart}:${address.port}`;
  }

  /** Stops listening and destroys every socket (keep-alive ones included), so that tests end promptly. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.pendingTimers) clearTimeout(timer);
    this.pendingTimers.clear();
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closing;
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const request = parseRequest(req);
    const platform = this.modules.find((m) => m.claims?.(request))?.name ?? 'none';
    const fault = this.faults.take({ platform, method: request.method, path: request.path });

    if (fault?.rule.kind === 'refuse') {
      // The closest to "connection refused" on a live port: drop the socket before reading anything.
      this.record(request, platform).fault = 'refuse';
      req.socket.destroy();
      return;
    }

    request.rawBody = await readBody(req);
    request.body = request.rawBody.toString('utf8');
    const entry = this.record(request, platform);
    if (fault) entry.fault = fault.rule.kind;

    // A slow server still applies the request after the delay, even if the client gave up meanwhile.
    if (fault?.rule.kind === 'slow') await this.sleepReal(fault.rule.delayMs ?? 0);
    if (this.closed) return;

    const cannedReply = fault ? cannedFaultReply(fault.rule) : undefined;
    if (cannedReply) {
      entry.status = cannedReply.status;
      await writeReply(res, cannedReply);
      return;
    }
    if (fault?.rule.kind === 'reset') {
      req.socket.destroy();
      return;
    }

    const reply = await this.dispatch(request, entry);
    if (fault?.rule.kind === 'apply-then-reset') {
      // The server applied the request (e.g. accepted a trigger), but the answer is lost on the way.
      entry.handledStatus = reply.status;
      req.socket.destroy();
      return;
    }
    if (fault?.rule.kind === 'apply-then-status') {
      // Applied, but a gateway answers an error instead (default 502): the client cannot tell it was applied.
      entry.handledStatus = reply.status;
      const lost = appliedThenStatusReply(fault.rule);
      entry.status = lost.status;
      await writeReply(res, lost);
      return;
    }
    if (fault?.rule.kind === 'reset-mid-body') {
      entry.handledStatus = reply.status;
      entry.status = reply.status;
      await writeHalfThenDestroy(res, reply);
      return;
    }
    entry.status = reply.status;
    await writeReply(res, reply);
  }

  private async dispatch(request: SimRequest, entry: JournalEntry): Promise<SimReply> {
    for (const module of this.modules) {
      const response = new SimResponse();
      if (!(await module.handle(request, response))) continue;
      entry.platform = module.name;
      return response.reply ?? problemReply(500, `module ${module.name} handled the request without answering`);
    }
    return {
      status: 404,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: Buffer.from(JSON.stringify({ error: 'Not Found', status: 404, path: request.path })),
    };
  }

  private record(request: SimRequest, platform: string): JournalEntry {
    const { headers, authHeaders } = redactHeaders(request.headers);
    return this.journal.record({
      realTimeMs: Date.now(),
      simTimeMs: this.clock.now(),
      platform,
      method: request.method,
      path: request.path,
      query: { ...request.query },
      headers,
      authHeaders,
      body: request.body,
      status: 0,
    });
  }

  private sleepReal(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingTimers.delete(timer);
        resolve();
      }, ms);
      this.pendingTimers.add(timer);
    });
  }

  private onInternalError(res: http.ServerResponse, error: unknown): void {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    void writeReply(res, problemReply(500, `simulator error: ${message}`));
  }
}

function parseRequest(req: http.IncomingMessage): SimRequest {
  // Host-agnostic: the Host header never matters, only the path and query.
  const url = new URL(req.url ?? '/', 'http://simulator.invalid');
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { method: (req.method ?? 'GET').toUpperCase(), url, path: url.pathname, query, headers, body: '' };
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('aborted', () => resolve(Buffer.concat(chunks)));
  });
}

const HTML_PROXY_PAGE = (status: number): string =>
  `<html>\r\n<head><title>${status} ${http.STATUS_CODES[status] ?? 'Error'}</title></head>\r\n<body>\r\n` +
  `<center><h1>${status} ${http.STATUS_CODES[status] ?? 'Error'}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;

/** Answers for faults that never reach the module. Undefined for faults that do (or that send nothing). */
function cannedFaultReply(rule: FaultRule): SimReply | undefined {
  const extra = lowerCaseKeys(rule.headers ?? {});
  switch (rule.kind) {
    case 'status': {
      const status = rule.status ?? 503;
      if (rule.body !== undefined) {
        return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...extra }, body: Buffer.from(rule.body) };
      }
      const reply = problemReply(status, http.STATUS_CODES[status] ?? 'Error');
      return { ...reply, headers: { ...reply.headers, ...extra } };
    }
    case 'malformed-json':
      return {
        status: rule.status ?? 200,
        headers: { 'content-type': 'application/json; charset=utf-8', ...extra },
        body: Buffer.from(rule.body ?? '{"truncated": ['),
      };
    case 'html': {
      const status = rule.status ?? 502;
      return { status, headers: { 'content-type': 'text/html', ...extra }, body: Buffer.from(rule.body ?? HTML_PROXY_PAGE(status)) };
    }
    case 'empty':
      return { status: rule.status ?? 200, headers: { 'content-type': 'application/json; charset=utf-8', ...extra }, body: Buffer.alloc(0) };
    case 'redirect':
      return { status: rule.status ?? 302, headers: { ...extra, location: rule.location ?? '/' }, body: Buffer.alloc(0) };
    case 'rate-limit': {
      // rule.headers replaces the default Retry-After, so a test can send an HTTP-date or no header at all.
      const headers = rule.headers ? extra : { 'retry-after': '1' };
      const body = rule.body ?? JSON.stringify({ title: 'Too Many Requests', status: 429, detail: 'Rate limit exceeded.' });
      return { status: rule.status ?? 429, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: Buffer.from(body) };
    }
    default:
      return undefined;
  }
}

/** The answer of an 'apply-then-status' fault: a gateway error page (or the rule's body) with the rule's status. */
function appliedThenStatusReply(rule: FaultRule): SimReply {
  const status = rule.status ?? 502;
  const extra = lowerCaseKeys(rule.headers ?? {});
  if (rule.body !== undefined) return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...extra }, body: Buffer.from(rule.body) };
  return { status, headers: { 'content-type': 'text/html', ...extra }, body: Buffer.from(HTML_PROXY_PAGE(status)) };
}

function problemReply(status: number, title: string): SimReply {
  return {
    status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    body: Buffer.from(JSON.stringify({ title, status })),
  };
}

function clientGone(res: http.ServerResponse): boolean {
  return res.destroyed || !res.socket || res.socket.destroyed;
}

async function writeReply(res: http.ServerResponse, reply: SimReply): Promise<void> {
  if (clientGone(res)) return;
  if (Buffer.isBuffer(reply.body)) {
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(reply.body.length) });
    res.end(reply.body);
    return;
  }
  res.writeHead(reply.status, reply.headers);
  for await (const chunk of reply.body) {
    if (clientGone(res)) return; // the client went away: stop producing
    if (!res.write(chunk)) await waitForDrainOrClose(res);
  }
  if (!clientGone(res)) res.end();
}

/** Sends the headers (with the full Content-Length, when known) and about half the body, then drops the socket. */
async function writeHalfThenDestroy(res: http.ServerResponse, reply: SimReply): Promise<void> {
  if (clientGone(res)) return;
  let half: Buffer;
  if (Buffer.isBuffer(reply.body)) {
    res.writeHead(reply.status, { ...reply.headers, 'content-length': String(reply.body.length) });
    half = reply.body.subarray(0, Math.floor(reply.body.length / 2));
  } else {
    res.writeHead(reply.status, reply.headers);
    half = Buffer.alloc(0);
    for await (const chunk of reply.body) {
      half = Buffer.from(chunk);
      break; // the first chunk is "half" of a streamed body
    }
  }
  await new Promise<void>((resolve) => {
    if (half.length === 0) {
      res.flushHeaders();
      setImmediate(resolve);
      return;
    }
    res.write(half, () => resolve());
  });
  res.socket?.destroy();
  res.destroy();
}

function waitForDrainOrClose(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value;
  return out;
}
