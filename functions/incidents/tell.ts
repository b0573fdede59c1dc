/** How other Lifeline functions report to the incident sink: an asynchronous invoke, whose trouble is not theirs. */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lambda } from '../commons/aws';
import { ENV } from '../commons/contracts';
import { logger } from '../commons/handler';
import { optionalEnv } from '../commons/runtime';
import type { IntakeInput } from './contracts';

/** Sends `event` to the intake when the function has one (`ENV.incidentIntake`); a failure is logged, not thrown. */
export async function tellIncidentSink(event: IntakeInput, consequence: string): Promise<void> {
  const intake = optionalEnv(ENV.incidentIntake);
  if (!intake) return;
  try {
    await lambda().send(
      new InvokeCommand({ FunctionName: intake, InvocationType: 'Event', Payload: JSON.stringify(event) }),
    );
  } catch (error) {
    logger.error(`Could not tell the incident sink; ${consequence}`, { error: error as Error });
  }
}
