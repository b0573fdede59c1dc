/** What an approval request says, and the exact commands that answer it. Pure: no SDK, no clock. */
import type { FailoverPlan, PrecheckOutcome } from './contracts';

export interface CommandTarget {
  readonly functionName: string;
  readonly region: string;
}

/** The exact command that approves or rejects the waiting failover. */
export function approvalCommand(action: 'approve' | 'reject', token: string, where: CommandTarget): string {
  const payload = JSON.stringify({ action, token, by: 'YOUR NAME' });
  return `aws lambda invoke --region ${where.region} --function-name ${where.functionName} --cli-binary-format raw-in-base64-out --payload '${payload}' /dev/stdout`;
}

/** The subject and text of an approval request: what will happen, how long it waits, and how to answer. */
export function approvalMessage(
  plan: FailoverPlan,
  precheck: PrecheckOutcome,
  token: string,
  where: CommandTarget,
): { subject: string; message: string } {
  const minutes = Math.round(plan.settings.approvalTimeoutSeconds / 60);
  const warnings = precheck.checks.filter((c) => !c.ok).map((c) => `  ! ${c.name}: ${c.detail}`);
  const message = [
    `A failover of ${plan.database} (${plan.scenario}) waits for approval${plan.startedBy ? `; started by ${plan.startedBy}` : ''}.`,
    `Execution: ${plan.execution}`,
    '',
    'If approved, it will:',
    ...precheck.changes.map((line, i) => `  ${i + 1}. ${line}`),
    '',
    'Pre-checks:',
    ...precheck.checks.map((c) => `  ${c.ok ? 'ok' : 'NOT OK'}  ${c.name}: ${c.detail}`),
    ...(warnings.length > 0 ? ['', 'Read before approving:', ...warnings] : []),
    '',
    `Unless someone approves within ${minutes} min, the failover stops and nothing is changed.`,
    `What to do first: approve (the failover goes ahead) with:`,
    `  ${approvalCommand('approve', token, where)}`,
    'or reject it (nothing is changed) with:',
    `  ${approvalCommand('reject', token, where)}`,
  ].join('\n');
  return { subject: `Lifeline failover of ${plan.database} waits for approval (${plan.scenario})`, message };
}
