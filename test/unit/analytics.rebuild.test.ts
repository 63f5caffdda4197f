import { describe, expect, it } from 'vitest';
import { monthsOf } from '../../workers/analytics/aggregates.ts';

describe('monthsOf', () => {
  it('cuts a day range at month boundaries, one step per partition', () => {
    expect(monthsOf({ from: '2026-01-30', to: '2026-03-02' })).toEqual([
      { from: '2026-01-30', to: '2026-01-31' },
      { from: '2026-02-01', to: '2026-02-28' },
      { from: '2026-03-01', to: '2026-03-02' },
    ]);
  });

  it('keeps a range inside one month whole, down to a single day', () => {
    expect(monthsOf({ from: '2026-11-01', to: '2026-11-30' })).toEqual([{ from: '2026-11-01', to: '2026-11-30' }]);
    expect(monthsOf({ from: '2028-02-29', to: '2028-02-29' })).toEqual([{ from: '2028-02-29', to: '2028-02-29' }]);
  });

  it('crosses a year', () => {
    expect(monthsOf({ from: '2026-12-31', to: '2027-01-01' })).toEqual([
      { from: '2026-12-31', to: '2026-12-31' },
      { from: '2027-01-01', to: '2027-01-01' },
    ]);
  });
});
