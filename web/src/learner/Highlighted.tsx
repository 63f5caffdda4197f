import type { ReactNode } from 'react';

/**
 * A text with its matches in `<mark>`: React nodes from `[start, end)` offsets, never markup from the
 * text. Pairs are typed as arrays: openapi-fetch's answer types widen the API's tuples to them.
 */
export function Highlighted({ text, ranges }: { text: string; ranges: ReadonlyArray<readonly number[]> }) {
  const nodes: ReactNode[] = [];
  let at = 0;
  for (const [start = 0, end = 0] of ranges.toSorted((a, b) => (a[0] ?? 0) - (b[0] ?? 0))) {
    if (start < at || end <= start) continue;
    nodes.push(text.slice(at, start), <mark key={start}>{text.slice(start, end)}</mark>);
    at = end;
  }
  nodes.push(text.slice(at));
  return <>{nodes}</>;
}
