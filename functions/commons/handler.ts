import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

export const logger = new Logger({ serviceName: 'lifeline' });
export const metrics = new Metrics({ namespace: 'Lifeline', serviceName: 'lifeline' });

/**
 * Flushes the invocation's metrics as EMF, if it recorded any. Powertools' own middleware warns "No application
 * metrics to publish" on every invocation that recorded none, which is most of them: noise in every log.
 */
function flushMetrics(): middy.MiddlewareObj {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    else metrics.clearDimensions();
  };
  return { after: flush, onError: flush };
}

/**
 * Wraps a workflow step's core in Lifeline's middleware: structured logs with the Lambda context,
 * and metrics flushed as EMF after each invocation that recorded some.
 */
export function lifelineHandler<I, O>(core: (input: I) => Promise<O>) {
  return middy<I, O, Error, Context>((event: I) => core(event))
    .use(injectLambdaContext(logger, { clearState: true }))
    .use(flushMetrics());
}
