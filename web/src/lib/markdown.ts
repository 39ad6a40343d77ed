// Guidelines markdown rendered safely: all HTML in the text is escaped; only headings, lists, paragraphs, emphasis,
// inline code, links (http(s), mailto or same-site paths) and pictures served by /api/guideline-images/ come out.

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** Pictures in guidelines come only from the campaign's own store. */
export const GUIDELINE_IMAGE = /^\/api\/guideline-images\/[0-9a-f-]{36}$/i;
const SAFE_LINK = /^(https?:\/\/|mailto:|\/(?!\/))[^\s"'<>]*$/i;

function inline(text: string): string {
  // Escape first: everything after works on escaped text, so no markup from the author survives.
  let out = escapeHtml(text);
  const code: string[] = [];
  out = out.replace(/`([^`]+)`/g, (_m, c: string) => `\u0000${code.push(c) - 1}\u0000`);
  out = out.replace(/!\[([^\]]*)\]\(([^)\s]+)\)/g, (m, alt: string, src: string) =>
    GUIDELINE_IMAGE.test(src) ? `<img src="${src}" alt="${alt}" loading="lazy" />` : `<span class="md-blocked">[picture not shown: ${alt || 'external'}]</span>`,
  );
  out = out.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (m, label: string, href: string) => {
    const raw = href.replace(/&amp;/g, '&');
    return SAFE_LINK.test(raw) ? `<a href="${href}" rel="noopener noreferrer" target="_blank">${label}</a>` : label;
  });
  out = out.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>').replace(/__([^_]+)__/g, '<strong>$1</strong>');
  out = out.replace(/(^|[^*])\*([^*]+)\*/g, '$1<em>$2</em>').replace(/(^|[^\w_])_([^_]+)_(?!\w)/g, '$1<em>$2</em>');
  return out.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => `<code>${code[Number(i)]}</code>`);
}

/** HTML for guidelines markdown; safe to insert with {@html}. */
export function renderMarkdown(source: string): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const html: string[] = [];
  let list: 'ul' | 'ol' | null = null;
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) html.push(`<p>${paragraph.map(inline).join('<br />')}</p>`);
    paragraph = [];
  };
  const closeList = () => {
    if (list) html.push(`</${list}>`);
    list = null;
  };
  for (const line of lines) {
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (line.trim() === '') {
      flush();
      closeList();
    } else if (heading) {
      flush();
      closeList();
      // h1 of guidelines sits under the page's own headings.
      const level = Math.min(heading[1]!.length + 2, 6);
      html.push(`<h${level}>${inline(heading[2]!)}</h${level}>`);
    } else if (bullet || numbered) {
      flush();
      const kind = bullet ? 'ul' : 'ol';
      if (list !== kind) {
        closeList();
        html.push(`<${kind}>`);
        list = kind;
      }
      html.push(`<li>${inline((bullet ?? numbered)![1]!)}</li>`);
    } else {
      closeList();
      paragraph.push(line);
    }
  }
  flush();
  closeList();
  return html.join('\n');
}
