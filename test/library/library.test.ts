import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stage } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../state-machines/lifeline-function';
import { ShopBackups, ShopDrills } from './shop-recovery';

/** The README's example in a Stage of a pipeline, as another CDK app would use it: no config file anywhere. */
function synthesizeInStage() {
  // Bundling is what every other synth test covers; here the constructs are the subject.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stage = new Stage(app, 'Prod', { env: { account: '111111111111' } });
  const backups = new ShopBackups(stage, 'ShopBackups', { env: { region: 'eu-west-1' } });
  const drills = new ShopDrills(stage, 'ShopDrills', { env: { region: 'eu-central-1' } });
  stage.synth();
  return { backups: Template.fromStack(backups), drills: Template.fromStack(drills) };
}

const definitionOf = (template: Template): { States: Record<string, { Parameters?: Record<string, unknown> }> } => {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const body = (machine?.Properties as { DefinitionString: string | { 'Fn::Join': [string, unknown[]] } })
    .DefinitionString;
  // The parts CloudFormation fills in (ARNs, the partition) read as TOKEN.
  const text =
    typeof body === 'string' ? body : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
};

describe('Lifeline as a construct library', () => {
  it('builds backups and drills of two databases in plain stacks inside a Stage, from props alone', () => {
    // Act
    const { backups, drills } = synthesizeInStage();
    // Assess
    backups.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    backups.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'lifeline-backup' });
    drills.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'lifeline-drill' });
    const catalog = (definitionOf(backups).States['Validate the request']?.Parameters as { catalog: object }).catalog;
    expect(Object.keys(catalog).sort()).toEqual(['ledger', 'orders']);
    expect(catalog).toMatchObject({
      ledger: { kind: 'cluster', identifier: 'ledger-prod', engine: 'aurora-postgresql', copyToDr: true },
      orders: { kind: 'instance', identifier: 'orders-prod', copyToVault: false, timeZone: 'UTC' },
    });
    const drillCatalog = (
      definitionOf(drills).States['Validate the drill request']?.Parameters as {
        catalog: Record<string, { rpoSeconds: number; rtoSeconds: number; credentialsSecret: string }>;
      }
    ).catalog;
    expect(drillCatalog.orders).toMatchObject({
      rpoSeconds: 86_400,
      rtoSeconds: 14_400,
      credentialsSecret: 'shop/drill',
    });
    expect(drillCatalog.ledger).toMatchObject({ instanceClass: 'db.t4g.medium' });
  });

  it('renders each typed payload field that comes from the state as a JSONPath field', () => {
    // Act
    const { backups } = synthesizeInStage();
    // Assess
    expect(definitionOf(backups).States['Copy the snapshot to the DR region']?.Parameters).toEqual({
      'kind.$': '$.plan.kind',
      'sourceArn.$': '$.source.arn',
      'snapshotId.$': '$.plan.snapshotId',
    });
    expect(definitionOf(backups).States['Acquire a copy slot']?.Parameters).toEqual({
      action: 'acquire',
      'holder.$': '$$.Execution.Id',
      region: 'eu-central-1',
    });
  });

  it('is the example the README shows, word for word', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const example = readFileSync(join(PROJECT_ROOT, 'test/library/shop-recovery.ts'), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });
});
