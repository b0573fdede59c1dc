import { createSocket } from 'node:dgram';
import { ListHostedZonesCommand, ListResourceRecordSetsCommand, type Route53Client } from '@aws-sdk/client-route-53';

/**
 * A DNS answer of the Route 53 records in moto: what a VPC's resolver would answer for a public hosted zone. A UDP
 * server on loopback that answers each query (one question, class IN) with the CNAME or A record moto holds for the
 * name, NXDOMAIN when it holds none; no recursion, no caching, no other record types. The failover's verification
 * resolves through it when LIFELINE_DNS_SERVERS names it (in AWS that variable is unset: the VPC resolver answers).
 * `stale` makes it answer a name with a value it held before (a resolver's cache within the TTL).
 */
export interface DnsAnswer {
  /** `127.0.0.1:<port>`, for LIFELINE_DNS_SERVERS. */
  readonly server: string;
  /** Names answered with an older value, as a cache would: name -> value. */
  readonly stale: Map<string, string>;
  /** The names asked for, in order. */
  readonly asked: string[];
  stop(): Promise<void>;
}

export interface DnsRecordValue {
  readonly type: 'CNAME' | 'A';
  readonly ttl: number;
  readonly value: string;
}

const TYPES = { A: 1, CNAME: 5 } as const;

export async function startDnsAnswer(lookup: (name: string) => Promise<DnsRecordValue[]>): Promise<DnsAnswer> {
  const socket = createSocket('udp4');
  const stale = new Map<string, string>();
  const asked: string[] = [];
  socket.on('message', (query, peer) => {
    answer(query)
      .catch((error: Error) => {
        // SERVFAIL, so that a broken lookup fails the resolution at once instead of timing out.
        process.stderr.write(`dns answer: ${error.message}\n`);
        const failed = Buffer.from(query.subarray(0, 12));
        failed.writeUInt16BE(0x8182, 2);
        failed.writeUInt16BE(0, 4);
        return failed;
      })
      .then((response) => socket.send(response, peer.port, peer.address));
  });
  const answer = async (query: Buffer): Promise<Buffer> => {
    const { name, end, type } = readQuestion(query);
    asked.push(name);
    const cached = stale.get(name);
    const records: DnsRecordValue[] = cached
      ? [{ type: 'CNAME', ttl: 60, value: cached }]
      : (await lookup(name)).filter((r) => r.type === 'CNAME' || (r.type === 'A' && type === TYPES.A));
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    // QR, opcode 0, RD copied, RA; NXDOMAIN (3) when nothing is known of the name.
    header.writeUInt16BE(0x8180 | (query.readUInt16BE(2) & 0x0100) | (records.length === 0 ? 3 : 0), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    const answers = records.map((r) => {
      const data = r.type === 'A' ? Buffer.from(r.value.split('.').map(Number)) : encodeName(r.value);
      const fixed = Buffer.alloc(12);
      fixed.writeUInt16BE(0xc00c, 0);
      fixed.writeUInt16BE(TYPES[r.type], 2);
      fixed.writeUInt16BE(1, 4);
      fixed.writeUInt32BE(r.ttl, 6);
      fixed.writeUInt16BE(data.length, 10);
      return Buffer.concat([fixed, data]);
    });
    return Buffer.concat([header, query.subarray(12, end), ...answers]);
  };
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    stale,
    asked,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function readQuestion(query: Buffer): { name: string; end: number; type: number } {
  const labels: string[] = [];
  let at = 12;
  for (let length = query[at] ?? 0; length > 0; length = query[at] ?? 0) {
    labels.push(query.subarray(at + 1, at + 1 + length).toString('ascii'));
    at += length + 1;
  }
  at += 1;
  return { name: labels.join('.').toLowerCase(), type: query.readUInt16BE(at), end: at + 4 };
}

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.');
  return Buffer.concat([
    ...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')])),
    Buffer.from([0]),
  ]);
}

/** The CNAME and A records moto holds for `name`, in any of its hosted zones. */
export function route53Lookup(clientOf: () => Route53Client): (name: string) => Promise<DnsRecordValue[]> {
  return async (name) => {
    const client = clientOf();
    const zones = (await client.send(new ListHostedZonesCommand({}))).HostedZones ?? [];
    const fqdn = `${name.replace(/\.$/, '')}.`;
    const found: DnsRecordValue[] = [];
    for (const zone of zones) {
      if (!fqdn.endsWith(zone.Name ?? '\u0000')) continue;
      const sets =
        (await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.Id }))).ResourceRecordSets ?? [];
      for (const set of sets)
        if (set.Name === fqdn && (set.Type === 'CNAME' || set.Type === 'A'))
          for (const record of set.ResourceRecords ?? [])
            found.push({ type: set.Type, ttl: set.TTL ?? 60, value: String(record.Value).replace(/\.$/, '') });
    }
    return found;
  };
}
