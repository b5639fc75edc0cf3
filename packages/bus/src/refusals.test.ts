import { describe, expect, it } from 'vitest';
import { DeliveryRefusals } from './refusals.js';
import type { TransportEvent } from './transport.js';

describe('DeliveryRefusals', () => {
  it('reports every refusal as an event and warns at most once per interval, counting the rest', () => {
    const events: TransportEvent[] = [];
    const warnings: object[] = [];
    let now = 1_000;
    const refusals = new DeliveryRefusals(
      'edge-1',
      (event) => events.push(event),
      { warn: (obj) => warnings.push(obj) },
      60_000,
      () => now,
    );
    refusals.refuse({ offset: '1' });
    refusals.refuse({ offset: '2' });
    now += 59_999;
    refusals.refuse({ offset: '3' });
    expect(events).toHaveLength(3);
    expect(events[0]).toEqual({ type: 'delivery-refused', node: 'edge-1', reason: 'no_route' });
    expect(warnings).toEqual([{ node: 'edge-1', refused: 1, offset: '1' }]);
    now += 1;
    refusals.refuse({ offset: '4' });
    expect(warnings[1]).toEqual({ node: 'edge-1', refused: 3, offset: '4' });
  });

  it('keeps going when an event listener throws', () => {
    const warnings: object[] = [];
    const refusals = new DeliveryRefusals(
      'n',
      () => {
        throw new Error('listener');
      },
      { warn: (obj) => warnings.push(obj) },
    );
    expect(() => refusals.refuse({})).not.toThrow();
    expect(warnings).toHaveLength(1);
  });
});
