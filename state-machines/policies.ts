import { Duration } from 'aws-cdk-lib';
import { attemptsToCover } from './budget';
import { type PollPolicy, pollBudgetSeconds } from './common';

/** How long the workflows wait, and retry, before they call a step failed. */

export const DEFAULT_SNAPSHOT_POLL: PollPolicy = {
  interval: Duration.seconds(60),
  backoffRate: 1.5,
  maxDelay: Duration.minutes(10),
  maxAttempts: 30,
};

export const DEFAULT_COPY_POLL: PollPolicy = {
  interval: Duration.seconds(60),
  backoffRate: 1.5,
  maxDelay: Duration.minutes(15),
  maxAttempts: 100,
};

/** RDS refuses a snapshot while the database is busy (backing up, modifying); that passes: retried for about 2.7 h. */
export const BUSY_DATABASE_RETRY = {
  errors: ['InvalidDBInstanceStateFault', 'InvalidDBClusterStateFault'],
  interval: Duration.seconds(60),
  backoffRate: 1.5,
  maxDelay: Duration.minutes(10),
  maxAttempts: 20,
} as const;

export const DEFAULT_RESTORE_POLL: PollPolicy = {
  interval: Duration.seconds(30),
  backoffRate: 1.5,
  maxDelay: Duration.minutes(5),
  maxAttempts: 200,
};

/** The longest drill timeout a manual run may ask for (`overrides.timeoutMinutes`), if the restore poll covers it. */
export const MAX_OVERRIDE_TIMEOUT_MINUTES = 1440;

/**
 * The longest drill timeout a restore poll can enforce: the drill times out at the first check past its timeout,
 * which must still be one of the poll's checks.
 */
export function longestEnforceableTimeoutSeconds(poll: PollPolicy): number {
  return pollBudgetSeconds(poll) - poll.maxDelay.toSeconds();
}

/** The default restore poll, with enough checks to enforce a drill timeout of `seconds`. */
export function restorePollCovering(seconds: number): PollPolicy {
  const base = DEFAULT_RESTORE_POLL;
  const attempts = attemptsToCover(
    {
      intervalSeconds: base.interval.toSeconds(),
      backoffRate: base.backoffRate,
      maxDelaySeconds: base.maxDelay.toSeconds(),
    },
    seconds + base.maxDelay.toSeconds(),
  );
  return { ...base, maxAttempts: Math.max(base.maxAttempts, attempts) };
}
