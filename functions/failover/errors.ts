import { LifelineError } from '../commons/errors';

/** A pre-check that must pass did not: nothing was changed. The message lists each problem and what to do. */
export class FailoverPrecheckFailed extends LifelineError {}

/** RDS could not recover the database (promote, fail over or restore ended in a failed state). */
export class RecoveryFailed extends LifelineError {}

/** Route 53 refused the change, or the record is not what the failover expects. */
export class DnsSwitchFailed extends LifelineError {}

/** An approval command names no approval that is waiting, or one that is over. */
export class ApprovalNotWaiting extends LifelineError {}
