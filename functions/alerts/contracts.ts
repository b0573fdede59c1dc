import { handlerContract } from '../commons/contracts';
import type { Alert, FailedStep } from '../commons/failure-alert';
import type { ExecutionStatusChange } from './execution-ended';

/** The alert handlers: the failure path's explainer, and the rule on executions that ended badly. */
export const ALERT_HANDLERS = {
  explainFailure: handlerContract<FailedStep, Alert>('functions/alerts/explain-failure.ts'),
  executionEnded: handlerContract<ExecutionStatusChange>('functions/alerts/execution-ended.ts'),
} as const;
