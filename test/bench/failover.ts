/**
 * The failover's own cost on top of AWS's: a region outage with the approval waived, whose restore takes 20 min 7 s
 * and whose Route 53 change is INSYNC 53 s after it is submitted (both simulated on the wire, on the harness clock),
 * then a failover drill of the same. The overhead is the RTO the record measures (start to verified through the
 * name) less those 21 min: how late the 15 s and 10 s polls see each end, the other states, and the real time the
 * functions take here (slower than in Lambda on a loaded machine). Run alone with
 * `bash .ci/with-node tsx test/bench/failover.ts`; `npm run bench` runs it with the rest.
 */
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { createDrillSecret, createOrdersDatabase } from '../fixtures/production';
import { seedOrders } from '../fixtures/sample-data';
import { LocalDataPlane } from '../harness/data-plane';
import { route53Lookup, startDnsAnswer } from '../harness/dns';
import { type Fault, replaceXml } from '../harness/faults';
import { startLocalAws } from '../harness/local-aws';
import { latestFailoverRecord } from '../harness/reports';
import { runWorkflow } from '../harness/run-workflow';
import { failoverConfig, OLD_TARGET, RECORD, ROUTE53_PENDING, ZONE } from '../workflows/failover-harness';

type RecordMetric = (metric: string, value: number, unit: string, goal: number) => void;

/**
 * AWS's own time for the operations, as the wire simulates them: not multiples of the poll intervals (15 s, 10 s),
 * as real ones are not, so the overhead shows how late the polls see each end.
 */
const RESTORE_SECONDS = 20 * 60 + 7;
const INSYNC_SECONDS = 53;

/**
 * Step Functions Standard bills $0.025 per 1,000 state transitions (us-east-1, 2026). A failover polls the restore
 * every 15 s (a transition each), so a 20-min restore is 80 of them; 150 transitions ($0.004) is that plus the
 * runbook's states and the DNS wait with room to spare. More means a poll got finer or a loop crept in; the money
 * is small either way, a poll gone wrong is not (the 4-h poll limit would be 960).
 */
const TRANSITIONS_GOAL = 150;

export async function failoverBench(record: RecordMetric): Promise<void> {
  const aws = await startLocalAws(failoverConfig());
  const plane = await LocalDataPlane.start((db) => seedOrders(db));
  const dns = await startDnsAnswer(route53Lookup(() => aws.client(Route53Client, 'us-east-1')));
  try {
    await createOrdersDatabase(aws);
    await createDrillSecret(aws, 'orders');
    const r53 = aws.client(Route53Client, 'us-east-1');
    await r53.send(
      new CreateHostedZoneCommand({ Name: 'example.com', CallerReference: `lifeline-harness-zone:${ZONE}` }),
    );
    await r53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ZONE,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: { Name: RECORD, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: OLD_TARGET }] },
            },
          ],
        },
      }),
    );
    const backup = await runWorkflow(aws.cloud, aws.cloud.stateMachine('-backup'), { database: 'orders' });
    if (backup.status !== 'SUCCEEDED') throw new Error(`bench: the backup failed: ${backup.cause}`);

    const timed = (): Fault[] => [
      ROUTE53_PENDING,
      {
        command: 'DescribeDBInstancesCommand',
        when: (params) => String(params.DBInstanceIdentifier ?? '').startsWith('lifeline-failover-'),
        rewrite: (body) => replaceXml(body, 'DBInstanceStatus', 'creating'),
        forSeconds: RESTORE_SECONDS,
      },
      {
        command: 'GetChangeCommand',
        rewrite: (body) => replaceXml(body, 'Status', 'PENDING'),
        forSeconds: INSYNC_SECONDS,
      },
    ];
    const run = (input: object) =>
      runWorkflow(aws.cloud, aws.cloud.stateMachine('-failover'), input, {
        faults: timed(),
        environment: { LIFELINE_DNS_SERVERS: dns.server, POWERTOOLS_LOG_LEVEL: 'ERROR' },
      });
    // The RTO the record measures (execution start to verified through the name, on the harness clock: simulated
    // waits plus the real time the functions take here), less what AWS itself took.
    const overhead = async (kind: string, input: object) => {
      const done = await run(input);
      if (done.status !== 'SUCCEEDED') throw new Error(`bench: the ${kind} failed: ${done.error}: ${done.cause}`);
      const rto = (await latestFailoverRecord(aws))?.json.rtoSeconds;
      if (typeof rto !== 'number') throw new Error(`bench: the ${kind} recorded no RTO`);
      record(`${kind}.orchestration overhead (20 min 7 s restore, 53 s to INSYNC)`, rto - awsOwn, 's', 30);
      record(`${kind}.transitions (20 min 7 s restore)`, done.transitions, 'transitions', TRANSITIONS_GOAL);
    };
    const awsOwn = RESTORE_SECONDS + INSYNC_SECONDS;
    await overhead('failover', {
      database: 'orders',
      scenario: 'region-outage',
      approval: { waive: 'bench: the approval is a person, not orchestration' },
    });
    await overhead('failover-drill', { database: 'orders', scenario: 'region-outage', drill: true });
  } finally {
    await dns.stop();
    await plane.stop();
    await aws.stop();
  }
}

// Alone: print this part only.
if (process.argv[1]?.endsWith('test/bench/failover.ts')) {
  const results: Record<string, unknown> = {};
  await failoverBench((metric, value, unit, goal) => {
    results[metric] = { value: Math.round(value * 100) / 100, unit, goal };
  });
  console.log(JSON.stringify(results, null, 2));
}
