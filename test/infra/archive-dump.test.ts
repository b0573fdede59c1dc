import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { archivingConfig } from '../fixtures/archive-config';
import { synthesize } from '../harness/synth';

describe('the archive dump', () => {
  it('synthesizes', () => {
    const app = synthesize(archivingConfig(), { bundle: false });
    const dr = Template.fromStack(app.stacks.dr);
    expect(dr.findResources('AWS::ECS::TaskDefinition')).not.toEqual({});
  });
});
