import { useState } from 'react';

/**
 * A course's cover at a fixed 16:9, or a calm placeholder with the title's first letter: the card
 * keeps its height whether or not the image has arrived (no layout shift). An image that fails
 * (gone, or from a host the Content-Security-Policy does not list) falls back to the placeholder.
 */
export function Cover({ title, url, eager = false }: { title: string; url: string | null; eager?: boolean }) {
  const [failed, setFailed] = useState<string | null>(null);
  if (url && failed !== url) {
    return <img className="cover" src={url} alt="" loading={eager ? 'eager' : 'lazy'} decoding="async" width={480} height={270} onError={() => setFailed(url)} />;
  }
  return (
    <div className="cover cover-placeholder" aria-hidden="true">
      <span>{Array.from(title.trim())[0]?.toUpperCase() ?? ''}</span>
    </div>
  );
}
