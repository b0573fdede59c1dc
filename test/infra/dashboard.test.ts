import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig, type Mutable } from '../fixtures/configs';
import { synthesize } from '../harness/synth';

/** The titles of the DR stack's dashboard widgets, as CloudWatch receives the body. */
function widgetTitles(config: Mutable): string[] {
  const dr = Template.fromStack(synthesize(config as LifelineConfigInput, { bundle: false }).stacks.dr);
  const dashboards = Object.values(dr.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0] as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
          .map((part) => (typeof part === 'string' ? part : '<token>'))
          .join('');
  return (JSON.parse(text) as { widgets: { properties: { title?: string; markdown?: string } }[] }).widgets.map(
    (w) => w.properties.title ?? (w.properties.markdown as string),
  );
}

describe('the deployment dashboard', () => {
  it('has a row for each configured database and each replicated bucket', () => {
    const config = structuredClone(baseConfig()) as Mutable;
    config.buckets = [{ id: 'archive' }, { id: 'local', replicate: false }];
    const titles = widgetTitles(config);
    expect(titles.filter((t) => t.startsWith('## '))).toEqual(['## orders', '## ledger', '## Bucket archive']);
    // orders is drilled, ledger too in the fixture: each gets the drill graph.
    for (const db of ['orders', 'ledger']) {
      expect(titles).toContain(`${db}: newest verified DR copy age (s)`);
      expect(titles).toContain(`${db}: recovery readiness (0-100)`);
    }
    expect(titles).toContain('archive: replication latency (s)');
    expect(titles.some((t) => t.startsWith('local:'))).toBe(false);
  });
});
