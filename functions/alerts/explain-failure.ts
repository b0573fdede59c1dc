import { explainFailure } from '../commons/failure-alert';
import { lifelineHandler, metrics } from '../commons/handler';
import type { Alert, ExplainFailureInput } from './contracts';

export async function explain(failure: ExplainFailureInput): Promise<Alert> {
  metrics.addDimension('database', failure.database);
  metrics.addMetric(`${failure.workflow === 'backup' ? 'Backup' : 'Drill'}Failed`, 'Count', 1);
  return explainFailure(failure);
}

export const handler = lifelineHandler(explain);
