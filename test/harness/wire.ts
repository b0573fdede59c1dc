import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy between every SDK client (the bundled functions', the state machines' integrations, the tests')
 * and moto. It sees each call as AWS would: the service and region from the signature, the caller's access key,
 * the action and its parameters from the protocol. Interceptors inject faults in AWS's own error shapes (so the
 * bundled SDK's own retries run), rewrite responses (a snapshot still `creating`), and give moto's RDS a data plane.
 * Every call is recorded, for the IAM evaluation of what a run did.
 */
export interface WireCall {
  /** Signing name: rds, kms, sns, s3, dynamodb, secretsmanager, sts, iam, ec2, monitoring, states, ... */
  readonly service: string;
  readonly region: string;
  /** The API action, e.g. CreateDBSnapshot (S3: the REST operation, e.g. PutObject). */
  readonly action: string;
  readonly accessKeyId?: string;
  readonly protocol: 'query' | 'json' | 'rest-xml' | 'rest-json' | 'cbor';
  /** Top-level parameters: query fields as sent (flattened), a JSON body, or S3's Bucket and Key. */
  readonly params: Record<string, unknown>;
  readonly method: string;
  readonly path: string;
  /** The body of a REST-JSON call (e.g. Lambda's Invoke payload) or of a Route 53 call, as sent. */
  readonly body?: string;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RecordedCall extends WireCall {
  /** HTTP status moto (or a fault) answered with. */
  status: number;
  /** The error code of a failed call. */
  errorCode?: string;
}

export interface Interceptor {
  /** Answers instead of moto (a fault), or lets the call through (undefined). */
  before?(call: WireCall): WireResponse | undefined | Promise<WireResponse | undefined>;
  /** Sees moto's answer; may change it in place. */
  after?(call: WireCall, response: WireResponse): void | Promise<void>;
}

/** Interceptors of every proxy in this process (the local data plane registers here). */
const globalInterceptors: Interceptor[] = [];

export function interceptEveryProxy(interceptor: Interceptor): () => void {
  globalInterceptors.push(interceptor);
  return () => {
    const at = globalInterceptors.indexOf(interceptor);
    if (at >= 0) globalInterceptors.splice(at, 1);
  };
}

export class WireProxy {
  readonly calls: RecordedCall[] = [];
  private readonly interceptors: Interceptor[] = [];

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    private readonly target: URL,
  ) {}

  static async start(target: string): Promise<WireProxy> {
    let proxy: WireProxy | undefined;
    const server = createServer((req, res) => {
      proxy?.handle(req, res).catch((error: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`lifeline wire proxy: ${error.stack ?? error.message}`);
      });
    });
    // The SDK keeps connections alive; so does moto's server. Don't let an idle socket hold the process.
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    proxy = new WireProxy(server, `http://127.0.0.1:${port}`, new URL(target));
    return proxy;
  }

  /** Adds an interceptor (first added is asked first); returns its removal. */
  use(interceptor: Interceptor): () => void {
    this.interceptors.push(interceptor);
    return () => {
      const at = this.interceptors.indexOf(interceptor);
      if (at >= 0) this.interceptors.splice(at, 1);
    };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const call = parseCall(req, body);
    const interceptors = [...this.interceptors, ...globalInterceptors];
    let response: WireResponse | undefined;
    if (call) {
      for (const interceptor of interceptors) {
        response = await interceptor.before?.(call);
        if (response) break;
      }
    }
    if (!response) {
      response = await this.forward(req, body);
      if (call) for (const interceptor of interceptors) await interceptor.after?.(call, response);
    }
    if (call) this.calls.push({ ...call, status: response.status, errorCode: errorCodeOf(call, response) });
    const bytes = Buffer.from(response.body, isText(response.headers['content-type']) ? 'utf8' : 'latin1');
    const headers: Record<string, string> = {
      ...response.headers,
      'content-length': String(bytes.length),
      // The server's clock agrees with the caller's, as AWS's does with a host's: the bundles sign on the
      // simulated clock, and a Date header from real time would make the SDK correct for skew and retry.
      ...callerDate(req),
    };
    delete headers['transfer-encoding'];
    res.writeHead(response.status, headers);
    res.end(bytes);
  }

  private forward(req: IncomingMessage, body: Buffer): Promise<WireResponse> {
    return new Promise((resolve, reject) => {
      // The Host header stays as signed: moto checks the signature against it.
      const upstream = request(
        {
          host: this.target.hostname,
          port: this.target.port,
          method: req.method,
          path: req.url,
          // Node's server already answered `Expect: 100-continue`; moto gets the whole body at once.
          headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'expect')),
        },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (d: Buffer) => parts.push(d));
          answer.on('end', () =>
            resolve({
              status: answer.statusCode ?? 502,
              headers: Object.fromEntries(
                Object.entries(answer.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
              ),
              // Binary bodies (CBOR) pass through as latin1, byte for byte.
              body: Buffer.concat(parts).toString(isText(answer.headers['content-type']) ? 'utf8' : 'latin1'),
            }),
          );
          answer.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}

function callerDate(req: IncomingMessage): Record<string, string> {
  const signed = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(String(req.headers['x-amz-date'] ?? ''));
  if (!signed) return {};
  const [, y, mo, d, h, mi, sec] = signed;
  return { date: new Date(`${y}-${mo}-${d}T${h}:${mi}:${sec}Z`).toUTCString() };
}

const isText = (contentType: string | undefined) => !contentType || !/cbor|octet-stream|binary/.test(contentType);

function parseCall(req: IncomingMessage, body: Buffer): WireCall | undefined {
  const auth = String(req.headers.authorization ?? '');
  const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
  if (!scope) return undefined;
  const [, accessKeyId, region, service] = scope as unknown as [string, string, string, string];
  const url = new URL(req.url ?? '/', 'http://local');
  const method = req.method ?? 'GET';
  const base = { service, region, accessKeyId, method, path: url.pathname };
  const target = req.headers['x-amz-target'];
  const contentType = String(req.headers['content-type'] ?? '');
  if (typeof target === 'string') {
    const text = body.toString('utf8');
    return {
      ...base,
      protocol: 'json',
      action: target.split('.').pop() ?? target,
      params: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  }
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    return { ...base, protocol: 'query', action: params.Action ?? '', params };
  }
  const cbor = /\/service\/[^/]+\/operation\/([A-Za-z0-9]+)$/.exec(url.pathname);
  if (cbor) return { ...base, protocol: 'cbor', action: cbor[1] as string, params: {} };
  if (service === 's3') return { ...base, protocol: 'rest-xml', ...s3Operation(method, url) };
  // Route 53's change batches are small XML: kept, so a test can read which records a change touched.
  if (service === 'route53')
    return { ...base, protocol: 'rest-xml', ...route53Operation(method, url), body: body.toString('utf8') };
  return {
    ...base,
    protocol: 'rest-json',
    action: `${method} ${url.pathname}`,
    params: {},
    body: body.toString('utf8'),
  };
}

function s3Operation(method: string, url: URL): { action: string; params: Record<string, unknown> } {
  const [bucket, ...rest] = url.pathname.replace(/^\//, '').split('/');
  const key = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
  const q = url.searchParams;
  const params: Record<string, unknown> = { Bucket: bucket, ...(key ? { Key: key } : {}) };
  const sub = ['tagging', 'versioning', 'policy', 'acl', 'retention', 'legal-hold', 'object-lock', 'versions'].find(
    (s) => q.has(s),
  );
  const title = (s: string) => s.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
  if (key) {
    if (sub)
      return { action: `${method === 'GET' ? 'Get' : method === 'PUT' ? 'Put' : 'Delete'}Object${title(sub)}`, params };
    const verb = { GET: 'GetObject', PUT: 'PutObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' }[method];
    return { action: verb ?? `${method}Object`, params };
  }
  // A listing's prefix is what `s3:prefix` conditions judge it by.
  const listed = q.has('prefix') ? { ...params, Prefix: q.get('prefix') } : params;
  if (q.has('list-type')) return { action: 'ListObjectsV2', params: listed };
  if (q.has('versions')) return { action: 'ListObjectVersions', params };
  if (sub)
    return { action: `${method === 'GET' ? 'Get' : method === 'PUT' ? 'Put' : 'Delete'}Bucket${title(sub)}`, params };
  const verb = { GET: 'ListObjects', PUT: 'CreateBucket', HEAD: 'HeadBucket', DELETE: 'DeleteBucket' }[method];
  return { action: bucket ? (verb ?? method) : 'ListBuckets', params: verb === 'ListObjects' ? listed : params };
}

/** Route 53's REST operations the failover makes (and the tests' set-up), by method and path. */
function route53Operation(method: string, url: URL): { action: string; params: Record<string, unknown> } {
  const path = url.pathname.replace(/^\/2013-04-01/, '');
  const zone = /^\/hostedzone\/([^/]+)(\/rrset\/?)?$/.exec(path);
  if (zone?.[2])
    return {
      action: method === 'POST' ? 'ChangeResourceRecordSets' : 'ListResourceRecordSets',
      params: { HostedZoneId: zone[1] },
    };
  if (zone) return { action: method === 'DELETE' ? 'DeleteHostedZone' : 'GetHostedZone', params: { Id: zone[1] } };
  if (path === '/hostedzone' || path === '/hostedzone/')
    return { action: method === 'POST' ? 'CreateHostedZone' : 'ListHostedZones', params: {} };
  const change = /^\/change\/([^/]+)$/.exec(path);
  if (change) return { action: 'GetChange', params: { Id: change[1] } };
  const health = /^\/healthcheck\/([^/]+)(\/status)?$/.exec(path);
  if (health)
    return { action: health[2] ? 'GetHealthCheckStatus' : 'GetHealthCheck', params: { HealthCheckId: health[1] } };
  if (path.startsWith('/healthcheck'))
    return { action: method === 'POST' ? 'CreateHealthCheck' : 'ListHealthChecks', params: {} };
  return { action: `${method} ${url.pathname}`, params: {} };
}

function errorCodeOf(call: WireCall, response: WireResponse): string | undefined {
  if (response.status < 300) return undefined;
  if (call.protocol === 'json') {
    const header = response.headers['x-amzn-errortype'];
    if (header) return header.split(':')[0];
    try {
      const type = (JSON.parse(response.body) as { __type?: string }).__type;
      return type?.split('#').pop();
    } catch {
      return undefined;
    }
  }
  return /<Code>([^<]+)<\/Code>/.exec(response.body)?.[1];
}

/** Server-side error names: answered with a 5xx, as AWS does. */
const SERVER_ERRORS: Record<string, number> = {
  InternalFailure: 500,
  InternalError: 500,
  InternalServerError: 500,
  ServiceUnavailable: 503,
  ServiceUnavailableException: 503,
  SlowDown: 503,
};

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

/** An error answer in the shape the call's protocol uses, so the SDK parses it as it would AWS's. */
export function errorResponse(call: WireCall, name: string, message: string, status?: number): WireResponse {
  const code = status ?? SERVER_ERRORS[name] ?? 400;
  const requestId = randomUUID();
  switch (call.protocol) {
    case 'json':
      return {
        status: code,
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-errortype': name,
          'x-amzn-requestid': requestId,
        },
        body: JSON.stringify({ __type: name, message }),
      };
    case 'query':
      return {
        status: code,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body:
          `<ErrorResponse><Error><Type>${code >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${escapeXml(name)}</Code>` +
          `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    case 'rest-xml':
      return {
        status: code,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${escapeXml(name)}</Code><Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
      };
    default:
      return {
        status: code,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': name, 'x-amzn-requestid': requestId },
        body: JSON.stringify({ message }),
      };
  }
}
