import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { lifelineHandler, metrics } from '../../functions/commons/handler';

const context = {
  functionName: 'lifeline-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:lifeline-test',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  getRemainingTimeInMillis: () => 60_000,
} as unknown as Context;

/** Everything written to stdout and stderr (where Powertools' console writes) while `run` runs. */
async function written(run: () => Promise<unknown>): Promise<string> {
  const chunks: string[] = [];
  const capture = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return chunks.join('');
}

const NOISE = /No application metrics to publish/;

describe('metrics of a Lifeline handler', () => {
  afterEach(() => {
    metrics.clearMetrics();
    metrics.clearDimensions();
  });

  it('writes nothing about metrics when the handler published none', async () => {
    // Prepare
    const handler = lifelineHandler(async (input: { n: number }) => ({ doubled: input.n * 2 }));
    // Act: a few invocations of a warm function
    const logs = await written(async () => {
      for (let n = 0; n < 3; n++) await handler({ n }, context);
    });
    // Assess
    expect(logs).not.toMatch(NOISE);
    expect(logs).not.toContain('"_aws"');
  });

  it('writes nothing about metrics when a handler that published none fails', async () => {
    // Prepare
    const handler = lifelineHandler(async () => {
      throw new Error('boom');
    });
    // Act
    const logs = await written(() => handler({}, context).catch(() => undefined));
    // Assess
    expect(logs).not.toMatch(NOISE);
  });

  it('still publishes the metrics a handler recorded, once, as EMF', async () => {
    // Prepare
    const handler = lifelineHandler(async () => {
      metrics.addMetric('DrillPassed', 'Count', 1);
      return {};
    });
    // Act
    const logs = await written(() => handler({}, context));
    // Assess
    const emf = logs.split('\n').filter((line) => line.includes('"_aws"'));
    expect(emf).toHaveLength(1);
    expect(emf[0]).toContain('"DrillPassed":1');
    expect(logs).not.toMatch(NOISE);
  });

  it('is quieter than Powertools own middleware, whose warning this capture does see', async () => {
    // Prepare: the same core behind Powertools' logMetrics, which warns when nothing was recorded
    const noisy = middy(async () => ({})).use(logMetrics(metrics));
    // Act
    const logs = await written(() => noisy({}, context));
    // Assess
    expect(logs).toMatch(NOISE);
  });
});
