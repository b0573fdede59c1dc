import { describe, expect, it } from 'vitest';
import { ALERT_HANDLERS } from '../../functions/alerts/contracts';
import { BACKUP_HANDLERS, type CopySlotInput } from '../../functions/backup/contracts';
import { ERROR } from '../../functions/commons/contracts';
import * as errors from '../../functions/commons/errors';
import { DRILL_HANDLERS } from '../../functions/drill/contracts';
import { VAULT_HANDLERS } from '../../functions/vault/contracts';
import { at, type Payload, renderPayload } from '../../state-machines/step';

describe('the payload of a step', () => {
  it("is checked by tsc against the handler's input type", () => {
    // Each line below would fail `tsc -p .` (which `npm test` runs) without its @ts-expect-error: tsc reports an
    // unused @ts-expect-error, so a payload type that stopped checking would fail the build.
    const right: Payload<CopySlotInput> = { action: 'acquire', holder: at('$$.Execution.Id'), region: 'eu-central-1' };
    // @ts-expect-error a value the handler does not accept
    const wrongValue: Payload<CopySlotInput> = { action: 'grab', holder: at('$'), region: 'eu-central-1' };
    // @ts-expect-error a misspelt field
    const misspelt: Payload<CopySlotInput> = { action: 'acquire', holder: at('$'), regoin: 'eu-central-1' };
    // @ts-expect-error a field the handler requires is missing
    const missing: Payload<CopySlotInput> = { action: 'release', region: 'eu-central-1' };
    expect([right, wrongValue, misspelt, missing]).toHaveLength(4);
  });

  it('renders values as they are and paths as JSONPath fields, nested objects included', () => {
    expect(
      renderPayload({
        action: 'acquire',
        holder: at('$$.Execution.Id'),
        objectives: { rpoSeconds: at('$.plan.rpoSeconds'), waive: {} },
        checks: [{ type: 'rowCount', table: 'orders', min: 1 }],
      }),
    ).toEqual({
      action: 'acquire',
      'holder.$': '$$.Execution.Id',
      objectives: { 'rpoSeconds.$': '$.plan.rpoSeconds', waive: {} },
      checks: [{ type: 'rowCount', table: 'orders', min: 1 }],
    });
  });
});

describe('the handler contracts', () => {
  it('name handler sources that export a handler', async () => {
    const contracts = [BACKUP_HANDLERS, DRILL_HANDLERS, ALERT_HANDLERS, VAULT_HANDLERS].flatMap((c) =>
      Object.values(c),
    );
    for (const contract of contracts) {
      const module = (await import(`../../${contract.entry}`)) as { handler?: unknown };
      expect(typeof module.handler, contract.entry).toBe('function');
    }
    expect(contracts.length).toBeGreaterThanOrEqual(20);
  });

  it('name the errors the workflows retry and catch as the functions throw them', () => {
    expect(new errors.NotReady('x').name).toBe(ERROR.notReady);
    expect(new errors.InvalidInput('x').name).toBe(ERROR.invalidInput);
    expect(new errors.NoCopySlot(5, 5).name).toBe(ERROR.noCopySlot);
  });
});
