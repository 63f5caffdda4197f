import { describe, expect, it } from 'vitest';
import { dropOffOf, funnelOf } from '../../workers/analytics/dashboards.ts';
import { deadLetterLines } from '../../workers/analytics/dead-letters.ts';

// Four viewings: one finished (step 20 = the end), one stopped at 40 %, one at 50 %, one never got going.
const STEPS = [
  { step: 0, viewings: 1, completed: 0 },
  { step: 8, viewings: 1, completed: 0 },
  { step: 10, viewings: 1, completed: 0 },
  { step: 20, viewings: 1, completed: 1 },
];

describe('funnelOf', () => {
  it('counts the viewings that reached each stage, as a share of those that played', () => {
    expect(funnelOf(STEPS)).toEqual([
      { stage: 'play', viewings: 4, share: 1 },
      { stage: '25%', viewings: 3, share: 0.75 },
      { stage: '50%', viewings: 2, share: 0.5 },
      { stage: '75%', viewings: 1, share: 0.25 },
      { stage: 'complete', viewings: 1, share: 0.25 },
    ]);
  });

  it('has no shares without viewings', () => {
    expect(funnelOf([]).map((stage) => stage.share)).toEqual([null, null, null, null, null]);
  });
});

describe('dropOffOf', () => {
  it('gives, for every 5 % of the timeline, the viewers still watching', () => {
    const { viewers, curve } = dropOffOf('v', STEPS);
    expect(viewers).toBe(4);
    expect(curve).toHaveLength(21);
    expect(curve[0]).toEqual({ percent: 0, stillWatching: 4, share: 1 });
    expect(curve[1]).toEqual({ percent: 5, stillWatching: 3, share: 0.75 });
    expect(curve[8]).toEqual({ percent: 40, stillWatching: 3, share: 0.75 });
    expect(curve[9]).toEqual({ percent: 45, stillWatching: 2, share: 0.5 });
    expect(curve[10]).toEqual({ percent: 50, stillWatching: 2, share: 0.5 });
    expect(curve[11]).toEqual({ percent: 55, stillWatching: 1, share: 0.25 });
    expect(curve[20]).toEqual({ percent: 100, stillWatching: 1, share: 0.25 });
  });
});

describe('deadLetterLines', () => {
  it('writes one line per event, and keeps a body that is not a batch of events whole', () => {
    const lines = deadLetterLines([{ v: 1, events: [{ event_id: 'a' }, { event_id: 'b' }] }, { v: 99, something: 'else' }, 'text']);
    expect(lines).toEqual(['{"event_id":"a"}', '{"event_id":"b"}', '{"v":99,"something":"else"}', '"text"']);
  });
});
