import { describe, expect, it } from 'vitest';
import { explainFailure } from '../../functions/commons/failure-alert';

const failure = (name: string) =>
  explainFailure({
    workflow: 'backup',
    database: 'orders',
    step: 'Take the snapshot',
    error: { Error: name, Cause: 'something broke' },
  });

describe('failure alert', () => {
  it.each(['constructor', 'toString', '__proto__', 'Lambda.hasOwnProperty'])(
    'gives the general advice for an error named %s, not a member of Object.prototype',
    (name) => {
      expect(failure(name).message).toContain(
        'What to do: Read the error above and the execution history; re-run the execution once the cause is fixed.',
      );
    },
  );

  it('gives the advice for a known error, also by its short name', () => {
    expect(failure('InvalidInput').message).toContain('What to do: Fix the execution input');
    expect(failure('Lifeline.InvalidInput').message).toContain('What to do: Fix the execution input');
  });
});
