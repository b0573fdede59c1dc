import { type Alert, explainFailure, type FailedStep } from '../commons/failure-alert';
import { lifelineHandler, metrics } from '../commons/handler';

export async function explain(failure: FailedStep): Promise<Alert> {
  metrics.addDimension('database', failure.database);
  metrics.addMetric(`${failure.workflow === 'backup' ? 'Backup' : 'Drill'}Failed`, 'Count', 1);
  return explainFailure(failure);
}

export const handler = lifelineHandler(explain);
