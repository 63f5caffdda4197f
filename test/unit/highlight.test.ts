import { describe, expect, it } from 'vitest';
import { matchRanges } from '../../web/src/learner/highlight.ts';

const marked = (text: string, query: string) => matchRanges(text, query).map(([start, end]) => text.slice(start, end));

describe('transcript matches', () => {
  it('fold Arabic as search does, and mark the original letters with their marks', () => {
    expect(marked('هذه مقدّمةٌ قصيرة', 'مقدمه')).toEqual(['مقدّمةٌ']);
    expect(marked('إلى الأمام', 'الي')).toEqual(['إلى']);
  });

  it('ignore case and runs of spaces, and find every occurrence', () => {
    expect(marked('Hello  World, hello', 'hello world')).toEqual(['Hello  World']);
    expect(marked('Hello  World, hello', 'HELLO')).toEqual(['Hello', 'hello']);
  });

  it('mark a ligature whole when a match ends inside it, and nothing for an empty query', () => {
    expect(marked('a ﻻ b', 'ل')).toEqual(['ﻻ']);
    expect(matchRanges('text', '  ')).toEqual([]);
  });
});
