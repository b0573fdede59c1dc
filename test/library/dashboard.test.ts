import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { describe, expect, it } from 'vitest';
import { RecoveryDashboard, type RecoveryDashboardProps } from '../../state-machines/dashboard';

interface Widget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly markdown?: string;
    readonly region?: string;
    readonly metrics?: unknown[][];
    readonly annotations?: { horizontal?: { label: string; value: number }[] };
  };
}

/** The dashboard body as CloudWatch receives it (tokens shown as `<token>`). */
function bodyOf(props: RecoveryDashboardProps): { widgets: Widget[] } {
  const stack = new Stack(new App(), 'Dr', { env: { account: '123456789012', region: 'eu-west-1' } });
  new RecoveryDashboard(stack, 'Dashboard', props);
  const dashboards = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = (dashboards[0] as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
          .map((part) => (typeof part === 'string' ? part : '<token>'))
          .join('');
  return JSON.parse(text);
}

const props: RecoveryDashboardProps = {
  primaryRegion: 'eu-central-1',
  drRegion: 'eu-west-1',
  databases: [
    { id: 'orders', rpo: Duration.hours(25), rto: Duration.hours(4), drilled: true, readinessFloor: 70 },
    {
      id: 'ledger',
      readinessFloor: 80,
      rpo: Duration.minutes(15),
      rto: Duration.hours(1),
      continuousRpo: new cloudwatch.Metric({ namespace: 'Lifeline', metricName: 'ContinuousRpo' }),
    },
  ],
  buckets: [
    {
      id: 'archive',
      sourceBucketName: 'lifeline-archive-123456789012-eu-central-1',
      replicaBucketName: 'lifeline-archive-123456789012-eu-west-1',
      ruleId: 'to-dr',
      sourceRegion: 'eu-central-1',
    },
  ],
};

describe('the recovery dashboard', () => {
  it('has a row per database and per bucket, each with its widgets', () => {
    const { widgets } = bodyOf(props);
    const titles = widgets.map((w) => w.properties.title ?? w.properties.markdown);
    expect(titles).toEqual([
      '## orders',
      'orders: newest verified DR copy age (s)',
      'orders: drill RTO and RPO (s)',
      'orders: backup success rate, 30 days (%)',
      'orders: snapshot and copy durations (s)',
      'orders: manual snapshot quota used (%)',
      'orders: recovery readiness (0-100)',
      '## ledger',
      'ledger: newest verified DR copy age (s)',
      'ledger: continuous RPO (s)',
      'ledger: backup success rate, 30 days (%)',
      'ledger: snapshot and copy durations (s)',
      'ledger: manual snapshot quota used (%)',
      'ledger: recovery readiness (0-100)',
      '## Bucket archive',
      'archive: replication latency (s)',
      'archive: replication backlog and failures',
    ]);
  });

  it('draws each objective on its graph, and reads each metric in the region that publishes it', () => {
    const { widgets } = bodyOf(props);
    const widget = (title: string) => widgets.find((w) => w.properties.title === title) as Widget;
    expect(widget('orders: newest verified DR copy age (s)').properties.annotations?.horizontal).toEqual([
      expect.objectContaining({ label: 'RPO', value: 25 * 3600 }),
    ]);
    expect(widget('orders: drill RTO and RPO (s)').properties.annotations?.horizontal).toEqual([
      expect.objectContaining({ label: 'RTO objective', value: 4 * 3600 }),
      expect.objectContaining({ label: 'RPO objective', value: 25 * 3600 }),
    ]);
    // Each database's readiness against its own floor, as the readiness probe publishes it.
    expect(widget('orders: recovery readiness (0-100)').properties.annotations?.horizontal).toEqual([
      expect.objectContaining({ label: 'floor', value: 70 }),
    ]);
    expect(widget('ledger: recovery readiness (0-100)').properties.annotations?.horizontal).toEqual([
      expect.objectContaining({ label: 'floor', value: 80 }),
    ]);
    expect(widget('ledger: recovery readiness (0-100)').properties.metrics?.[0]?.slice(0, 4)).toEqual([
      'Lifeline',
      'ReadinessScore',
      'database',
      'ledger',
    ]);
    // Backups publish in the primary region, probes and drills in the DR region, S3 in the source's region.
    const regionsOf = (title: string) =>
      (widget(title).properties.metrics ?? []).map((m) => (m.at(-1) as { region?: string }).region);
    expect(regionsOf('orders: snapshot and copy durations (s)')).toEqual(['eu-central-1', 'eu-central-1']);
    expect(regionsOf('orders: newest verified DR copy age (s)')).toEqual(['eu-west-1']);
    expect(regionsOf('archive: replication latency (s)')).toEqual(['eu-central-1']);
    expect(widget('archive: replication latency (s)').properties.metrics?.[0]?.slice(0, 8)).toEqual([
      'AWS/S3',
      'ReplicationLatency',
      'DestinationBucket',
      'lifeline-archive-123456789012-eu-west-1',
      'RuleId',
      'to-dr',
      'SourceBucket',
      'lifeline-archive-123456789012-eu-central-1',
    ]);
  });

  it('shows no drill widget for a database without drills and no bucket row without buckets', () => {
    const { widgets } = bodyOf({ ...props, databases: [props.databases[1] as never], buckets: [] });
    expect(widgets.some((w) => /drill|Bucket/.test(w.properties.title ?? w.properties.markdown ?? ''))).toBe(false);
  });
});
