import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalMessage } from '../../../functions/failover/approval-message';
import { failoverCommand } from '../../../functions/failover/command';
import type { FailoverPlan, PrecheckOutcome } from '../../../functions/failover/contracts';
import { entry, settings } from './fixtures';

const sfn = mockClient(SFNClient);
beforeEach(() => {
  process.env.AWS_REGION = 'eu-west-1';
});
afterEach(() => sfn.reset());

describe('the failover command: approve or reject a waiting failover', () => {
  it('approves with who and when, as the record will show', async () => {
    // Prepare
    sfn.on(SendTaskSuccessCommand).resolves({});
    // Act
    const out = await failoverCommand({ action: 'approve', token: 'AQtoken', by: ' Dana ' });
    // Assess
    expect(out.message).toBe('Approved by Dana: the failover goes ahead.');
    const sent = sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(sent?.taskToken).toBe('AQtoken');
    expect(JSON.parse(sent?.output ?? '{}')).toMatchObject({ approved: true, by: 'Dana', at: expect.any(String) });
  });

  it('rejects with FailoverRejected and the note', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    await failoverCommand({ action: 'reject', token: 'AQtoken', by: 'Dana', note: 'the primary is back' });
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toMatchObject({
      error: 'FailoverRejected',
      cause: expect.stringMatching(/^Rejected by Dana at .*: the primary is back$/),
    });
  });

  it('says clearly when nothing waits for the token any more', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' }));
    await expect(failoverCommand({ action: 'approve', token: 'AQold', by: 'Dana' })).rejects.toThrow(
      /^No failover waits for this token \(TaskTimedOut\): its approval timed out/,
    );
  });

  it.each([
    [{ action: 'go', token: 't', by: 'Dana' }, 'action is "go": expected "approve" or "reject"'],
    [{ action: 'approve', by: 'Dana' }, 'token: expected the token of the approval request'],
    [{ action: 'approve', token: 't', by: 'YOUR NAME' }, 'by: say who you are'],
  ])('refuses %j before sending anything', async (command, message) => {
    await expect(failoverCommand(command as never)).rejects.toThrow(message);
    expect(sfn.calls()).toEqual([]);
  });
});

describe('the approval request', () => {
  it('says what will change, what did not check out, and the exact commands', () => {
    const plan = {
      database: 'orders',
      scenario: 'region-outage',
      execution: 'arn:x',
      startedBy: 'Sam',
      settings: settings(),
      entry: entry(),
    } as unknown as FailoverPlan;
    const precheck = {
      changes: ['RDS RestoreDBInstanceFromDBSnapshot a as b (db.t4g.medium)', 'Route 53 UPSERT ...'],
      checks: [
        { name: 'DR key', ok: true, detail: 'the DR key alias/lifeline-dr is Enabled', blocking: true },
        {
          name: 'recovery point age',
          ok: false,
          detail: 'the recovery point is 8 h old; the RPO is 15 min',
          blocking: false,
        },
      ],
    } as unknown as PrecheckOutcome;
    const { subject, message } = approvalMessage(plan, precheck, 'AQtok', {
      functionName: 'lifeline-failover-command',
      region: 'eu-west-1',
    });
    expect(subject).toBe('Lifeline failover of orders waits for approval (region-outage)');
    expect(message).toContain(
      'If approved, it will:\n  1. RDS RestoreDBInstanceFromDBSnapshot a as b (db.t4g.medium)\n  2. Route 53 UPSERT ...',
    );
    expect(message).toContain(
      'Read before approving:\n  ! recovery point age: the recovery point is 8 h old; the RPO is 15 min',
    );
    expect(message).toContain('Unless someone approves within 30 min, the failover stops and nothing is changed.');
    expect(message).toContain(
      `aws lambda invoke --region eu-west-1 --function-name lifeline-failover-command --cli-binary-format raw-in-base64-out --payload '{"action":"reject","token":"AQtok","by":"YOUR NAME"}' /dev/stdout`,
    );
  });
});
