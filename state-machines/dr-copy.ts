import { Duration, Stack } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { COPY_SLOT_RETRY } from '../functions/backup/contracts';
import { ERROR } from '../functions/commons/contracts';
import type { backupSteps } from './backup-steps';
import { type FailurePath, type PollPolicy, poll } from './common';
import { at } from './step';

export interface DrCopyProps {
  /** The backup workflow's steps: the copy-slot semaphore, the copier and the verifier. */
  readonly steps: Pick<ReturnType<typeof backupSteps>, 'slot' | 'copier' | 'verifier'>;
  readonly drRegion: string;
  readonly failure: FailurePath;
  readonly copyPoll: PollPolicy;
}

/**
 * The copy of the new recovery point to the DR region, under the DR key: wait in line for one of the region's copy
 * slots, start the copy, wait for it and verify it, give the slot back. Every failure on the way gives the slot back
 * before it is explained and alerted.
 */
export class DrCopy extends sfn.StateMachineFragment {
  readonly startState: sfn.State;
  readonly endStates: sfn.INextable[];

  constructor(scope: Construct, id: string, props: DrCopyProps) {
    super(scope, id);
    const { failure, copyPoll } = props;
    const slot = (id: string, action: 'acquire' | 'release') =>
      props.steps.slot.task(this, id, {
        input: { action, holder: at('$$.Execution.Id'), region: props.drRegion },
        resultPath: sfn.JsonPath.DISCARD,
      });
    // The copy path holds a slot: every failure on it gives the slot back before alerting.
    const releaseAfterFailure = slot('Give back the copy slot after the failure', 'release');
    releaseAfterFailure.addCatch(failure.explainAndAlert, { resultPath: sfn.JsonPath.DISCARD });
    releaseAfterFailure.next(failure.explainAndAlert);
    const acquireSlot = failure.guard(
      slot('Acquire a copy slot', 'acquire').addRetry({
        errors: [ERROR.noCopySlot],
        interval: Duration.seconds(COPY_SLOT_RETRY.intervalSeconds),
        backoffRate: COPY_SLOT_RETRY.backoffRate,
        maxDelay: Duration.seconds(COPY_SLOT_RETRY.maxDelaySeconds),
        maxAttempts: COPY_SLOT_RETRY.maxAttempts,
        jitterStrategy: COPY_SLOT_RETRY.jitter === 'FULL' ? sfn.JitterType.FULL : sfn.JitterType.NONE,
      }) as tasks.LambdaInvoke,
    );
    const copyToDr = failure.guard(
      props.steps.copier.task(this, 'Copy the snapshot to the DR region', {
        input: { kind: at('$.plan.kind'), sourceArn: at('$.source.arn'), snapshotId: at('$.plan.snapshotId') },
        resultPath: '$.copyStarted',
      }),
      { via: releaseAfterFailure },
    );
    const waitForCopy = failure.guard(
      poll(
        props.steps.verifier.task(this, 'Wait for the copy and verify it', {
          input: {
            kind: at('$.plan.kind'),
            database: at('$.plan.database'),
            snapshotId: at('$.copyStarted.snapshotId'),
            region: at('$.copyStarted.region'),
            kmsKeyArn: at('$.copyStarted.kmsKeyArn'),
            sourceArn: at('$.source.arn'),
            sourceRegion: Stack.of(this).region,
          },
          resultPath: '$.copy',
        }),
        copyPoll,
      ),
      { via: releaseAfterFailure },
    );
    const releaseSlot = failure.guard(slot('Give back the copy slot', 'release'));

    acquireSlot.next(copyToDr).next(waitForCopy).next(releaseSlot);
    this.startState = acquireSlot;
    this.endStates = [releaseSlot];
  }
}
