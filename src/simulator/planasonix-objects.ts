/**
 * A tiny "object storage" on a SECOND loopback origin, for Planasonix logs served as URLs (apis.md §3.6,
 * §4.3). Its URLs are pre-signed (an HMAC in the query), and like real object stores it refuses a request
 * that carries its own credentials: any `Authorization` (or Planasonix key) header answers 403, so a
 * client that forwards the API key to a foreign origin is caught, and every request is recorded.
 *
 * It starts lazily (the first log answered as URLs) and must be closed with `close()`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ObjectStoreRequest {
  method: string;
  path: string;
  /** Lower-case names of credential headers the request carried (should always be empty). */
  credentialHeaders: string[];
  status: number;
  realTimeMs: number;
}

const CREDENTIAL_HEADERS = ['authorization', 'x-planasonix-api-key', 'x-planasonix-key', 'x-api-key', 'cookie'];

interface StoredObject {
  contentType: string;
  body: Buffer;
}

export class LogObjectStore {
  private server: http.Server | undefined;
  private starting: Promise<string> | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly objects = new Map<string, StoredObject>();
  private readonly secret = randomBytes(16);
  private readonly log: ObjectStoreRequest[] = [];
  private closed = false;

  constructor(private readonly host = '127.0.0.1') {}

  /** Origin, e.g. http://127.0.0.1:40123 (starts the server on first use). */
  async origin(): Promise<string> {
    if (this.closed) throw new Error('the log object store is closed');
    this.starting ??= this.start();
    return this.starting;
  }

  /** Stores an object and returns its pre-signed URL. */
  async put(name: string, contentType: string, body: string): Promise<string> {
    const origin = await this.origin();
    const path = `/plx-logs/${name.split('/').map(encodeURIComponent).join('/')}`;
    this.objects.set(path, { contentType, body: Buffer.from(body, 'utf8') });
    return `${origin}${path}?X-Plx-Expires=3600&X-Plx-Signature=${this.sign(path)}`;
  }

  requests(): ObjectStoreRequest[] {
    return this.log.map((r) => ({ ...r, credentialHeaders: [...r.credentialHeaders] }));
  }

  async close(): Promise<void> {
    this.closed = true;
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closing = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closing;
  }

  private sign(path: string): string {
    return createHmac('sha256', this.secret).update(path).digest('hex');
  }

  private async start(): Promise<string> {
    const server = http.createServer((req, res) => this.onRequest(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Never keeps a test process alive on its own.
    server.unref();
    this.server = server;
    const address = server.address() as AddressInfo;
    const host = address.address.includes(':') ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://objects.invalid');
    const credentialHeaders = CREDENTIAL_HEADERS.filter((name) => req.headers[name] !== undefined);
    const entry: ObjectStoreRequest = { method: req.method ?? 'GET', path: url.pathname, credentialHeaders, status: 0, realTimeMs: Date.now() };
    this.log.push(entry);
    const send = (status: number, contentType: string, body: Buffer | string) => {
      entry.status = status;
      const buffer = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      res.writeHead(status, { 'content-type': contentType, 'content-length': String(buffer.length) });
      res.end(buffer);
    };
    req.resume();
    if (credentialHeaders.length > 0) {
      // S3 says "Only one auth mechanism allowed"; either way the key must never have been sent here.
      send(403, 'application/xml', '<Error><Code>AccessDenied</Code><Message>Requests with a pre-signed URL must not carry Authorization</Message></Error>');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(405, 'application/xml', '<Error><Code>MethodNotAllowed</Code></Error>');
      return;
    }
    const signature = url.searchParams.get('X-Plx-Signature') ?? '';
    const expected = this.sign(url.pathname);
    const valid = signature.length === expected.length && timingSafeEqual(Buffer.from(signature), Buffer.from(expected));
    if (!valid) {
      send(403, 'application/xml', '<Error><Code>SignatureDoesNotMatch</Code></Error>');
      return;
    }
    const object = this.objects.get(url.pathname);
    if (!object) {
      send(404, 'application/xml', '<Error><Code>NoSuchKey</Code></Error>');
      return;
    }
    send(200, object.contentType, req.method === 'HEAD' ? Buffer.alloc(0) : object.body);
  }
}
