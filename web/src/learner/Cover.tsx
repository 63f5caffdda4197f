/**
 * A course's cover at a fixed 16:9, or a calm placeholder with the title's first letter: the card
 * keeps its height whether or not the image has arrived (no layout shift).
 */
export function Cover({ title, url, eager = false }: { title: string; url: string | null; eager?: boolean }) {
  if (url) return <img className="cover" src={url} alt="" loading={eager ? 'eager' : 'lazy'} decoding="async" width={480} height={270} />;
  return (
    <div className="cover cover-placeholder" aria-hidden="true">
      <span>{Array.from(title.trim())[0]?.toUpperCase() ?? ''}</span>
    </div>
  );
}
