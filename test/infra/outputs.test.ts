import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { READINESS_ENV, type ReadinessProbeEnv } from '../../functions/readiness/contracts';
import { readConfig } from '../../infra/config/load';
import { DR_OUTPUT, PRIMARY_OUTPUT, parseOutputDatabases, VAULT_OUTPUT } from '../../infra/outputs';
import { baseConfig } from '../fixtures/configs';
import { type Synthesized, synthesize } from '../harness/synth';

let app: Synthesized;
const outputs = (which: 'primary' | 'dr' | 'vault', from: Synthesized = app) =>
  Template.fromJSON(from.templates[which]?.template as never).toJSON().Outputs as Record<
    string,
    { Value: unknown; Export?: unknown; Description?: string }
  >;

beforeAll(async () => {
  app = synthesize(await readConfig(), { bundle: false });
});

describe('stack outputs: what a person or the lifeline CLI reads of a deployment', () => {
  it('has every key of the DR stack, none exported', () => {
    const dr = outputs('dr');
    expect(Object.keys(dr).sort()).toEqual(Object.values(DR_OUTPUT).sort());
    expect(Object.values(dr).filter((o) => o.Export)).toEqual([]);
    expect(dr[DR_OUTPUT.installation]?.Value).toBe('lifeline');
    expect(dr[DR_OUTPUT.primaryRegion]?.Value).toBe('eu-central-1');
    expect(dr[DR_OUTPUT.drRegion]?.Value).toBe('eu-west-1');
    expect(dr[DR_OUTPUT.drillStateMachineArn]?.Value).toEqual({ Ref: expect.stringMatching(/^DrillStateMachine/) });
    expect(dr[DR_OUTPUT.reportsBucketName]?.Value).toEqual({ Ref: expect.stringMatching(/Reports/) });
    expect(dr[DR_OUTPUT.incidentCommandFunctionName]?.Value).toEqual({ Ref: expect.stringMatching(/Command/) });
    expect(dr[DR_OUTPUT.incidentsTableName]?.Value).toEqual({ Ref: expect.stringMatching(/Incidents/) });
    expect(JSON.stringify(dr[DR_OUTPUT.escalationTopicArns]?.Value)).toContain('on-call');
  });

  it('scores each database from the same setup as the deployed readiness probe: its floor, failover and cadences', () => {
    // Prepare: what the probe function is deployed with (its READINESS environment).
    const functions = Template.fromJSON(app.templates.dr?.template as never).findResources('AWS::Lambda::Function');
    const probe = Object.values(functions)
      .map((f) => (f as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }).Properties)
      .find((p) => typeof p.Environment?.Variables?.[READINESS_ENV] === 'string');
    const deployed = JSON.parse(probe?.Environment?.Variables?.[READINESS_ENV] as string) as ReadinessProbeEnv;
    // Act
    const listed = parseOutputDatabases(outputs('dr')[DR_OUTPUT.databases]?.Value as string);
    // Assess
    expect(deployed.databases.length).toBeGreaterThan(0);
    expect(listed.find((d) => d.id === 'orders')).toMatchObject({ failover: true, readinessFloor: expect.any(Number) });
    expect(
      listed.map((d) => ({
        id: d.id,
        floor: d.readinessFloor,
        failover: d.failover,
        drill: d.drillCadenceSeconds,
        failoverDrill: d.failoverDrillCadenceSeconds,
      })),
    ).toEqual(
      deployed.databases.map((d) => ({
        id: d.id,
        floor: d.floor,
        failover: d.failover,
        drill: d.drillCadenceSeconds,
        failoverDrill: d.failoverDrillCadenceSeconds,
      })),
    );
  });

  it('has every key of the primary stack', () => {
    const primary = outputs('primary');
    expect(Object.keys(primary).sort()).toEqual(Object.values(PRIMARY_OUTPUT).sort());
    expect(primary[PRIMARY_OUTPUT.backupStateMachineArn]?.Value).toEqual({
      Ref: expect.stringMatching(/^BackupStateMachine/),
    });
    expect(primary[PRIMARY_OUTPUT.keyArn]?.Value).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
  });

  it('has every key of the vault stack', () => {
    expect(Object.keys(outputs('vault')).sort()).toEqual(Object.values(VAULT_OUTPUT).sort());
  });

  it('lists the protected databases as compact JSON the CLI reads back', () => {
    const text = outputs('dr')[DR_OUTPUT.databases]?.Value as string;
    expect(outputs('primary')[PRIMARY_OUTPUT.databases]?.Value).toBe(text);
    const [orders] = parseOutputDatabases(text);
    expect(orders).toMatchObject({
      id: 'orders',
      kind: 'instance',
      drilled: true,
      copyToDr: true,
      copyToVault: true,
      rpoSeconds: expect.any(Number),
      rtoSeconds: expect.any(Number),
      drillCadenceSeconds: expect.any(Number),
    });
  });

  it('leaves out the incident outputs without an escalation, and names each database of another config', () => {
    // Prepare
    const other = synthesize(baseConfig(), { bundle: false });
    // Act
    const dr = outputs('dr', other);
    const databases = parseOutputDatabases(dr[DR_OUTPUT.databases]?.Value as string);
    // Assess
    expect(dr[DR_OUTPUT.incidentCommandFunctionName]).toBeUndefined();
    expect(dr[DR_OUTPUT.escalationTopicArns]).toBeUndefined();
    expect(databases.map((d) => [d.id, d.kind, d.rpoSeconds, d.rtoSeconds, d.drillCadenceSeconds])).toEqual([
      ['orders', 'instance', 86_400, 3600, 31 * 86_400],
      ['ledger', 'cluster', 4 * 3600, 7200, 7 * 86_400],
    ]);
  });
});

describe('the operator policy <name>-operator', () => {
  it("names only Lifeline's stacks, workflows, command functions, records and key; it deletes and changes nothing", () => {
    // Act: the example config has escalation and failover.
    const dr = Template.fromJSON(app.templates.dr?.template as never);
    const [policy] = Object.values(
      dr.findResources('AWS::IAM::ManagedPolicy', { Properties: { ManagedPolicyName: 'lifeline-operator' } }),
    );
    const statements = policy?.Properties.PolicyDocument.Statement as {
      Sid: string;
      Action: string | string[];
      Resource: unknown;
    }[];
    // Assess
    const actions = statements.flatMap((s) => ([] as string[]).concat(s.Action));
    expect(
      actions.filter((a) => /Delete|Put|Update|Create|Modify|Restore|Copy|ChangeResourceRecordSets/.test(a)),
    ).toEqual([]);
    const text = JSON.stringify(statements);
    for (const machine of ['lifeline-backup', 'lifeline-drill', 'lifeline-failover'])
      expect(text).toContain(`:stateMachine:${machine}"`);
    expect(text).toContain(':execution:lifeline-escalation:*');
    const invoke = statements.find((s) => s.Sid === 'AnswerThroughLifeline');
    expect(invoke?.Resource).toHaveLength(3);
    expect(statements.find((s) => s.Sid === 'DecryptRecords')).toMatchObject({
      // s3.eu-west-1.amazonaws.com in the aws partition, as the key's other statements name their services.
      Condition: {
        StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.eu-west-1.', { Ref: 'AWS::URLSuffix' }]] } },
      },
    });
    expect(outputs('dr')[DR_OUTPUT.operatorPolicyArn]?.Value).toEqual({
      Ref: expect.stringMatching(/^OperatorPolicy/),
    });
  });
});
