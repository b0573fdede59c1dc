import { connect, createServer, type Server, type Socket } from 'node:net';
import { getCACertificates, setDefaultCACertificates, TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';

/**
 * TLS for the local PostgreSQL (PGlite, which speaks none), as RDS has it: the drill's checks always connect with TLS
 * and verify the certificate, so the harness fronts each local database with a proxy that answers PostgreSQL's
 * SSLRequest with 'S', upgrades to TLS with a certificate of the harness's own CA, and pipes to the database. A client
 * that does not ask for TLS is refused, as RDS does with rds.force_ssl. This process trusts the harness's CA (the
 * functions run in it), exactly as a Lambda trusts the RDS CAs.
 */

/** PostgreSQL's SSLRequest: length 8, then the code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

export interface ServerCertificate {
  readonly key: string;
  readonly cert: string;
}

// Explicit and wide: certificates are checked against the real clock, while tests may fake Date.
const VALIDITY = { notBeforeDate: new Date('2020-01-01T00:00:00Z'), notAfterDate: new Date('2049-12-31T00:00:00Z') };

type AltName = { type: 2; value: string } | { type: 7; ip: string };

const LOCAL_NAMES: AltName[] = [
  { type: 7, ip: '127.0.0.1' },
  // localhost too: a MySQL client verifies a name, never an address (RDS endpoints are names).
  { type: 2, value: 'localhost' },
];

async function certificateFor(ca?: ServerCertificate, altNames: AltName[] = LOCAL_NAMES): Promise<ServerCertificate> {
  const signed = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ...VALIDITY,
    ...(ca ? { ca } : {}),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { key: signed.private, cert: signed.cert };
}

let trustedCa: Promise<ServerCertificate> | undefined;
let trusted: Promise<ServerCertificate> | undefined;

/** The server certificate of every local database, signed by the harness's CA, which this process trusts from now on. */
export function trustedCertificate(): Promise<ServerCertificate> {
  trusted ??= harnessCa().then((ca) => certificateFor(ca));
  return trusted;
}

/** A certificate of the harness's CA issued to another name only: what a client that checks names must refuse. */
export const certificateOfAnotherName = (): Promise<ServerCertificate> =>
  harnessCa().then((ca) => certificateFor(ca, [{ type: 2, value: 'db.elsewhere.invalid' }]));

function harnessCa(): Promise<ServerCertificate> {
  trustedCa ??= (async () => {
    const ca = await generate([{ name: 'commonName', value: 'Lifeline local CA' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      ...VALIDITY,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    });
    setDefaultCACertificates([...getCACertificates('default'), ca.cert]);
    return { key: ca.private, cert: ca.cert };
  })();
  return trustedCa;
}

/** A certificate nobody trusts (self-signed, not by the harness's CA): what a client that verifies must refuse. */
export const untrustedCertificate = (): Promise<ServerCertificate> => certificateFor();

export class PostgresTls {
  private constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    readonly port: number,
  ) {}

  /**
   * Listens on 127.0.0.1:`port` (0: one the OS picks) and forwards each TLS connection to `target`.
   * @default certificate - the harness's trusted one
   */
  static async front(
    target: { readonly host: string; readonly port: number },
    options: { readonly port?: number; readonly certificate?: ServerCertificate } = {},
  ): Promise<PostgresTls> {
    const certificate = options.certificate ?? (await trustedCertificate());
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket.on('close', () => sockets.delete(socket)));
      handshake(socket, target, certificate);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    return new PostgresTls(server, sockets, (server.address() as { port: number }).port);
  }

  /** Stops listening and drops the connections still open, as a deleted instance does. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

function handshake(socket: Socket, target: { host: string; port: number }, certificate: ServerCertificate): void {
  let received = Buffer.alloc(0);
  socket.on('error', () => socket.destroy());
  const onData = (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    if (received.length < SSL_REQUEST.length) return;
    socket.pause();
    socket.off('data', onData);
    // Without TLS there is no connection, as on RDS with rds.force_ssl.
    if (!received.subarray(0, SSL_REQUEST.length).equals(SSL_REQUEST)) return void socket.destroy();
    socket.write('S');
    const secure = new TLSSocket(socket, { isServer: true, key: certificate.key, cert: certificate.cert });
    const upstream = connect(target.port, target.host);
    const close = () => {
      secure.destroy();
      upstream.destroy();
    };
    secure.on('error', close).on('close', () => upstream.destroy());
    upstream.on('error', close);
    // Each side's end ends the other (pipe's default), so the last bytes of either still arrive.
    secure.pipe(upstream).pipe(secure);
  };
  socket.on('data', onData);
}
