/**
 * Errors a workflow can match on: Step Functions retries and catches by `name`, so each name is part of
 * the contract between a handler and its state.
 */
export class LifelineError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The resource is still on its way (creating, copying, modifying); the state retries with backoff. */
export class NotReady extends LifelineError {}

/** A manual execution's input is malformed; nothing has been changed. */
export class InvalidInput extends LifelineError {}

/** Creating another manual snapshot would exceed the region's quota. */
export class SnapshotQuotaExceeded extends LifelineError {}

/** The snapshot ended in a state it cannot recover from (failed, incompatible, deleted). */
export class SnapshotFailed extends LifelineError {}

/** A DR or vault copy exists but is not what it must be (key, encryption, tags). */
export class CopyNotVerified extends LifelineError {}

/** Every copy slot towards the destination region is taken; the acquire state retries (COPY_SLOT_RETRY). */
export class NoCopySlot extends LifelineError {
  readonly inUse: number;
  readonly limit: number;
  readonly retryAfterMs: number | undefined;

  constructor(inUse: number, limit: number, retryAfterMs?: number) {
    super(`No copy slot free: ${inUse} of ${limit} copy slots in use`);
    this.inUse = inUse;
    this.limit = limit;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The drill cannot start: something it needs is missing or unusable. The message says what to fix. */
export class PreflightFailed extends LifelineError {}

/** The restored database did not become available within the drill timeout. */
export class DrillTimedOut extends LifelineError {}

/** RDS could not restore the recovery point. */
export class RestoreFailed extends LifelineError {}

/** A copy RDS would reject (e.g. encrypting an unencrypted Aurora cluster snapshot); nothing was changed. */
export class CopyImpossible extends LifelineError {}

/** The vault pruner could not prune every database's vault copies; the message names each and why. */
export class VaultPruneFailed extends LifelineError {}

/** The copy-age probe could not list some database's DR copies; that database's alarm fires for want of data. */
export class CopyAgeProbeFailed extends LifelineError {}

/** The continuous probe could not look at some database's protection; that database's RPO alarm fires for want of data. */
export class ContinuousProbeFailed extends LifelineError {}

/** The objectives probe could not read what it measures (the executions of a workflow). */
export class ObjectivesProbeFailed extends LifelineError {}

/** The readiness probe could not read some database's evidence; no score is published for it. */
export class ReadinessProbeFailed extends LifelineError {}

/** An acknowledgement, resolve or page names an incident the table does not have. */
export class IncidentNotFound extends LifelineError {}

export { ALERT_NOT_DELIVERED, THROTTLING_ERRORS } from './contracts';
