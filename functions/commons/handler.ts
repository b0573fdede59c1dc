import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

export const logger = new Logger({ serviceName: 'lifeline' });
export const metrics = new Metrics({ namespace: 'Lifeline', serviceName: 'lifeline' });

/**
 * Wraps a workflow step's core in Lifeline's middleware: structured logs with the Lambda context,
 * and metrics flushed as EMF after each invocation.
 */
export function lifelineHandler<I, O>(core: (input: I) => Promise<O>) {
  return middy<I, O, Error, Context>((event: I) => core(event))
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(logMetrics(metrics));
}
