import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig, problemsOf } from '../fixtures/configs';
import { synthesize } from '../harness/synth';

const withZones = (zones: unknown): LifelineConfigInput => ({
  ...baseConfig(),
  drAvailabilityZones: zones as string[],
});

function drillSubnetZones(input: LifelineConfigInput) {
  const app = synthesize(input);
  const resources = Object.values(app.templates.dr?.template.Resources ?? {});
  const zones = resources.filter((r) => r.Type === 'AWS::EC2::Subnet').map((r) => r.Properties?.AvailabilityZone);
  const manifest = JSON.parse(readFileSync(join(app.outdir, 'manifest.json'), 'utf8')) as { missing?: unknown[] };
  return { zones, missing: manifest.missing ?? [] };
}

describe('the availability zones of the drill network', () => {
  it('are the configured zones, never Fn::GetAZs, with no lookup (and no credentials) at synth', () => {
    // Act
    const { zones, missing } = drillSubnetZones(withZones(['eu-west-1b', 'eu-west-1c']));
    // Assess: Fn::GetAZs skips zones without a default subnet and may reorder, which would replace a subnet.
    expect(zones).toEqual(['eu-west-1b', 'eu-west-1c']);
    expect(missing).toEqual([]);
  });

  it('are required, and the message says how to list the zones of the DR region', () => {
    const problems = problemsOf((config) => {
      delete config.drAvailabilityZones;
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^drAvailabilityZones: is required: .*aws ec2 describe-availability-zones --region <drRegion> --query 'AvailabilityZones\[\]\.ZoneName'/,
      ),
    ]);
  });

  it.each([
    [
      'a zone of another region',
      ['eu-west-1a', 'eu-central-1b'],
      'drAvailabilityZones[1]: is not a zone of drRegion (eu-west-1)',
    ],
    [
      'one zone',
      ['eu-west-1a'],
      "drAvailabilityZones: needs at least two different zones: the drill subnet group spans two; find them with: aws ec2 describe-availability-zones --region eu-west-1 --query 'AvailabilityZones[].ZoneName'",
    ],
    ['a zone listed twice', ['eu-west-1a', 'eu-west-1a'], 'drAvailabilityZones[1]: is listed twice'],
    [
      'a region instead of a zone',
      ['eu-west-1', 'eu-west-1a'],
      'drAvailabilityZones[0]: expected an availability zone',
    ],
  ])('refuses %s, naming the field and the value', (_, zones, message) => {
    const problems = problemsOf((config) => {
      config.drAvailabilityZones = zones;
    });
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });
});
