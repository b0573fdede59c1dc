/**
 * Resolves a name as a client in the VPC does: with the system's resolver (in Lambda, the VPC's Route 53 Resolver),
 * or with the servers `LIFELINE_DNS_SERVERS` names (the local harness's answer of the Route 53 records).
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { optionalEnv } from '../commons/runtime';
import { FAILOVER_ENV } from './contracts';

export interface Resolution {
  /** The CNAME chain from the name, then the addresses of its end. */
  readonly chain: string[];
  /** The name (or address) at the end of the CNAME chain: where a client connects. */
  readonly target: string;
}

const NO_ANSWER = new Set(['ENODATA', 'ENOTFOUND', 'ENONAME', 'NODATA', 'NOTFOUND']);

function resolver(): Resolver {
  const r = new Resolver({ timeout: 2_000, tries: 2 });
  const servers = optionalEnv(FAILOVER_ENV.dnsServers);
  if (servers) r.setServers(servers.split(',').map((s) => s.trim()));
  return r;
}

export async function resolveName(name: string): Promise<Resolution> {
  const r = resolver();
  const chain: string[] = [];
  let current = name.replace(/\.$/, '');
  for (let depth = 0; depth < 8; depth++) {
    const next = await r.resolveCname(current).then(
      (names) => names[0],
      (error: NodeJS.ErrnoException) => {
        if (NO_ANSWER.has(String(error.code))) return undefined;
        throw error;
      },
    );
    if (!next) break;
    chain.push(next);
    current = next.replace(/\.$/, '');
    if (isIP(current)) return { chain, target: current };
  }
  const addresses = isIP(current) ? [current] : await r.resolve4(current).catch(() => [] as string[]);
  return { chain: [...chain, ...addresses], target: current };
}
