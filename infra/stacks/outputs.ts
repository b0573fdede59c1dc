import { CfnOutput, type Stack } from 'aws-cdk-lib';
import type { LifelineConfig } from '../config/schema';
import { DR_OUTPUT, type OutputDatabase, PRIMARY_OUTPUT, VAULT_OUTPUT } from '../outputs';
import { readinessDatabases } from '../readiness';
import { retentionOf } from '../specs';
import type { DrStack } from './dr-stack';
import type { PrimaryStack } from './primary-stack';

/**
 * The outputs of each stack (keys in ../outputs.ts), for people and for the `lifeline` CLI, which finds an
 * installation by them. No export names: nothing imports them across stacks, so a stack stays free to change them.
 */
const output = (stack: Stack, id: string, value: string, description: string) =>
  new CfnOutput(stack, id, { value, description });

/** The protected databases, with what the CLI needs to judge them, as compact JSON. */
export function outputDatabases(config: LifelineConfig): OutputDatabase[] {
  // The readiness probe's view of each database: what `status` scores must be what the probe publishes.
  const scored = readinessDatabases(config);
  return config.databases.map((db, i) => {
    const probe = scored[i];
    if (probe?.id !== db.id) throw new Error(`readinessDatabases lost the order of the databases at ${db.id}`);
    return {
      id: db.id,
      kind: db.kind,
      engine: db.engine,
      rpoSeconds: db.objectives.rpo.seconds,
      rtoSeconds: db.objectives.rto.seconds,
      drilled: db.drill !== undefined,
      ...(probe.drillCadenceSeconds === undefined ? {} : { drillCadenceSeconds: probe.drillCadenceSeconds }),
      copyToDr: db.backup.copyToDr,
      copyToVault: db.backup.copyToVault,
      continuous: db.continuous !== undefined,
      failover: probe.failover,
      ...(probe.failoverDrillCadenceSeconds === undefined
        ? {}
        : { failoverDrillCadenceSeconds: probe.failoverDrillCadenceSeconds }),
      readinessFloor: probe.floor,
      retention: { ...retentionOf(db.retention) },
    };
  });
}

function installationOutputs(stack: Stack, config: LifelineConfig): void {
  output(stack, DR_OUTPUT.installation, config.name, 'The installation name (prefix of every stack and resource)');
  output(stack, DR_OUTPUT.primaryRegion, config.primaryRegion, 'Where the databases run and are backed up');
  output(stack, DR_OUTPUT.drRegion, config.drRegion, 'Where the copies, drills and the recovery control plane are');
  output(stack, DR_OUTPUT.databases, JSON.stringify(outputDatabases(config)), 'The protected databases (JSON)');
}

export function addDrOutputs(stack: DrStack, config: LifelineConfig): void {
  installationOutputs(stack, config);
  output(stack, DR_OUTPUT.keyArn, stack.key.keyArn, 'The DR key (alias/<name>/dr)');
  output(stack, DR_OUTPUT.alertsTopicArn, stack.alerts.topicArn, 'The DR alert topic');
  output(stack, DR_OUTPUT.drillStateMachineArn, stack.drill.stateMachine.stateMachineArn, 'The drill workflow');
  output(stack, DR_OUTPUT.drillReportsTopicArn, stack.drill.reportTopic.topicArn, 'Summaries of passed drills');
  output(stack, DR_OUTPUT.reportsBucketName, stack.reports.bucketName, 'Drill reports and histories');
  output(
    stack,
    DR_OUTPUT.operatorPolicyArn,
    stack.operatorPolicy.managedPolicyArn,
    'Attach to the on-call role or group to run the lifeline CLI',
  );
  output(
    stack,
    DR_OUTPUT.evidenceFunctionName,
    stack.evidence.function.function.functionName,
    "Rolls up a week's or month's evidence",
  );
  output(
    stack,
    DR_OUTPUT.bucketReplicaNames,
    stack.toJsonString(
      Object.fromEntries(Object.entries(stack.bucketReplicas).map(([id, b]) => [id, b.bucket.bucketName])),
    ),
    'The replicas of the protected buckets, by id (JSON)',
  );
  if (stack.incidents) {
    output(
      stack,
      DR_OUTPUT.incidentCommandFunctionName,
      stack.incidents.command.function.functionName,
      'Acknowledge, resolve or list incidents',
    );
    output(stack, DR_OUTPUT.incidentsTableName, stack.incidents.table.tableName, 'The incidents');
    output(stack, DR_OUTPUT.escalationStateMachineArn, stack.incidents.ladder.stateMachineArn, 'The paging ladder');
  }
  if (stack.failover) {
    output(
      stack,
      DR_OUTPUT.failoverStateMachineArn,
      stack.failover.stateMachine.stateMachineArn,
      'The failover runbook',
    );
    output(
      stack,
      DR_OUTPUT.failoverCommandFunctionName,
      stack.failover.command.function.functionName,
      'Approves or rejects a waiting failover',
    );
  }
  if (stack.escalation)
    output(
      stack,
      DR_OUTPUT.escalationTopicArns,
      stack.toJsonString(Object.fromEntries(stack.escalation.levels.map((l) => [l.name, l.topic.topicArn]))),
      'The topic of each escalation level (JSON)',
    );
}

export function addPrimaryOutputs(stack: PrimaryStack, config: LifelineConfig, keyArn: string): void {
  installationOutputs(stack, config);
  output(stack, PRIMARY_OUTPUT.keyArn, keyArn, 'The primary key (alias/<name>/primary)');
  output(stack, PRIMARY_OUTPUT.alertsTopicArn, stack.alerts.topicArn, 'The alert topic of the primary region');
  output(stack, PRIMARY_OUTPUT.backupStateMachineArn, stack.backup.stateMachine.stateMachineArn, 'The backup workflow');
  output(
    stack,
    PRIMARY_OUTPUT.copySlotsTableName,
    stack.backup.copySlots.tableName,
    'Copies to the DR region in progress',
  );
  output(
    stack,
    PRIMARY_OUTPUT.bucketNames,
    stack.toJsonString(Object.fromEntries(Object.entries(stack.buckets).map(([id, b]) => [id, b.bucket.bucketName]))),
    'The protected buckets, by id (JSON)',
  );
}

export function addVaultOutputs(
  stack: Stack,
  config: LifelineConfig,
  parts: { keyArn: string; alertsTopicArn: string; copierRoleArn: string; prunerFunctionName: string },
): void {
  output(stack, VAULT_OUTPUT.installation, config.name, 'The installation name');
  output(stack, VAULT_OUTPUT.vaultRegion, config.drRegion, 'Where the vault copies are');
  output(stack, VAULT_OUTPUT.keyArn, parts.keyArn, 'The vault key (alias/<name>/vault)');
  output(stack, VAULT_OUTPUT.alertsTopicArn, parts.alertsTopicArn, 'The vault alert topic');
  output(stack, VAULT_OUTPUT.copierRoleArn, parts.copierRoleArn, 'The role that makes the vault copies');
  output(stack, VAULT_OUTPUT.prunerFunctionName, parts.prunerFunctionName, 'Prunes the vault copies');
}
