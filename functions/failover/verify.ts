import { connect } from 'node:net';
import { GetHealthCheckStatusCommand } from '@aws-sdk/client-route-53';
import { NotReady } from '../commons/errors';
import { lifelineHandler, logger } from '../commons/handler';
import { now } from '../commons/runtime';
import { readCredentials } from '../drill/check-data';
import { describeError, runChecks } from '../drill/run-checks';
import { formatDuration } from '../drill/verdict';
import { route53 } from './aws';
import type { VerifyInput, VerifyOutcome } from './contracts';
import { resolveName } from './resolve-name';

/**
 * Verifies the failover as clients will see it: resolves the record (until resolvers stop answering with the old
 * target: NotReady, within a few TTLs), connects to where it leads with the engine's driver, and runs the database's
 * drill checks. A failed verification is an outcome, not an error; it says whether the old target still answers.
 */
export async function verify(input: VerifyInput): Promise<VerifyOutcome> {
  const { plan, endpoint, precheck } = input;
  const { recordName, ttl } = plan.settings;
  const expected = endpoint.host.toLowerCase();
  const resolved = await resolveName(recordName).catch((error: Error) => ({ error }));
  const finish = async (outcome: Omit<VerifyOutcome, 'verifiedAt' | 'oldTarget'>): Promise<VerifyOutcome> => {
    const verifiedAt = now().toISOString();
    if (outcome.verified) return { ...outcome, verifiedAt };
    const oldTarget = await oldTargetHealth(input);
    logger.warn('Failover verification failed', { summary: outcome.summary, oldTarget });
    return { ...outcome, verifiedAt, oldTarget };
  };
  const since = (now().getTime() - Date.parse(input.dnsChangedAt)) / 1000;
  if ('error' in resolved) {
    if (since < 3 * ttl) throw new NotReady(`${recordName} does not resolve yet: ${resolved.error.message}`);
    return finish({
      verified: false,
      resolved: [],
      checks: [],
      summary: `${recordName} does not resolve ${formatDuration(since)} after the change: ${resolved.error.message}`,
    });
  }
  const leadsThere = resolved.chain.some((n) => n.replace(/\.$/, '').toLowerCase() === expected);
  if (!leadsThere) {
    // Resolvers keep the old answer for up to the TTL it was given with.
    if (since < 3 * ttl)
      throw new NotReady(`${recordName} still resolves to ${resolved.chain.join(' -> ') || 'nothing'} (TTL ${ttl} s)`);
    return finish({
      verified: false,
      resolved: resolved.chain,
      checks: [],
      summary: `${recordName} resolves to ${resolved.chain.join(' -> ') || 'nothing'}, not to ${endpoint.host}, ${formatDuration(since)} after the change`,
    });
  }
  const credentials = await readCredentials(plan.entry.credentialsSecret);
  const run = await runChecks(
    {
      host: resolved.target,
      port: endpoint.port,
      user: credentials.username,
      password: credentials.password,
      database: plan.entry.databaseName,
    },
    plan.entry.checks,
    {
      engine: plan.entry.engine,
      recoveryPointTime: precheck.pointTime ?? precheck.checkedAt,
      rpoObjectiveSeconds: plan.entry.rpoSeconds,
      now,
    },
  );
  const failed = run.results.filter((r) => !r.passed);
  const verified = !run.connectError && failed.length === 0;
  return finish({
    verified,
    resolved: resolved.chain,
    checks: run.results,
    ...(run.connectError ? { connectError: run.connectError } : {}),
    summary: verified
      ? `${recordName} leads to ${endpoint.host}; ${run.results.length} check(s) passed`
      : run.connectError
        ? `${recordName} leads to ${endpoint.host}, but ${run.connectError}`
        : `${recordName} leads to ${endpoint.host}, but ${failed.map((r) => r.detail).join('; ')}`,
  });
}

/**
 * Whether the old target still answers: the configured Route 53 health check (most checkers report success), else a
 * TCP connect to it at the database's port. Never a call to the old region's control plane.
 */
async function oldTargetHealth(input: VerifyInput): Promise<NonNullable<VerifyOutcome['oldTarget']>> {
  const value = input.precheck.currentRecord.value;
  if (!value) return { value, healthy: false, detail: 'there was no record before the failover' };
  const healthCheckId = input.plan.settings.healthCheckId;
  if (healthCheckId) {
    try {
      const out = await route53().send(new GetHealthCheckStatusCommand({ HealthCheckId: healthCheckId }));
      const observations = out.HealthCheckObservations ?? [];
      const ok = observations.filter((o) => o.StatusReport?.Status?.startsWith('Success')).length;
      return {
        value,
        healthy: observations.length > 0 && ok * 2 > observations.length,
        detail: `health check ${healthCheckId}: ${ok} of ${observations.length} checkers report success`,
      };
    } catch (error) {
      return {
        value,
        healthy: false,
        detail: `health check ${healthCheckId} could not be read: ${describeError(error)}`,
      };
    }
  }
  const port = input.endpoint.port;
  const detail = await new Promise<string | undefined>((resolve) => {
    const socket = connect({ host: value, port, timeout: 3_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('no answer within 3 s');
    });
    socket.once('error', (error) => resolve(describeError(error)));
  });
  return {
    value,
    healthy: detail === undefined,
    detail: detail === undefined ? `${value}:${port} accepts connections` : `${value}:${port}: ${detail}`,
  };
}

export const handler = lifelineHandler(verify);
