/** The escalation levels and where each severity starts, as the construct passes them in the environment. */
import { env, optionalEnv } from '../commons/runtime';
import { type EscalationLevelEnv, INCIDENT_ENV, type Severity } from './contracts';

export function levels(): EscalationLevelEnv[] {
  return JSON.parse(env(INCIDENT_ENV.levels)) as EscalationLevelEnv[];
}

/** The index of the level an incident of `severity` is first paged at. */
export function startIndex(severity: Severity, all = levels()): number {
  const startAt = JSON.parse(optionalEnv(INCIDENT_ENV.startAt) ?? '{}') as Partial<Record<Severity, string>>;
  const name = startAt[severity];
  const found = name === undefined ? 0 : all.findIndex((level) => level.name === name);
  return Math.max(0, found);
}

/** Where the acknowledge and resolve commands run: the command function, in this region. */
export function commandTarget(): { functionName: string; region: string } {
  return { functionName: env(INCIDENT_ENV.commandFunction), region: env('AWS_REGION') };
}
