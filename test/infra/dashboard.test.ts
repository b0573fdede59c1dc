import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import type { LifelineConfigInput } from '../../infra/config/schema';
import { baseConfig, type Mutable } from '../fixtures/configs';
import { synthesize } from '../harness/synth';

/** The DR stack's dashboard widgets, as CloudWatch receives the body. */
function widgets(config: Mutable): { properties: { title?: string; markdown?: string; metrics?: unknown[] } }[] {
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
  return (JSON.parse(text) as { widgets: ReturnType<typeof widgets> }).widgets;
}

/** The titles of the DR stack's dashboard widgets. */
function widgetTitles(config: Mutable): string[] {
  return widgets(config).map((w) => w.properties.title ?? (w.properties.markdown as string));
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
    expect(titles).toContain('archive: replication verification discrepancies');
    expect(titles.some((t) => t.startsWith('local:'))).toBe(false);
  });

  it("draws each replicated bucket's verification from the metric the report function publishes", () => {
    const config = structuredClone(baseConfig()) as Mutable;
    config.buckets = [{ id: 'archive' }];
    const widget = widgets(config).find(
      (w) => w.properties.title === 'archive: replication verification discrepancies',
    );
    // Powertools publishes under Lifeline with the service dimension, and the report adds the bucket's.
    expect(widget?.properties.metrics).toEqual([
      ['Lifeline', 'ReplicationDiscrepancies', 'bucket', 'archive', 'service', 'lifeline', expect.any(Object)],
    ]);
  });
});
