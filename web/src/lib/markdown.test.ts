import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown';

describe('guidelines markdown', () => {
  it('renders headings, lists, emphasis, links and our own pictures', () => {
    const id = '0b6c4d3e-1f2a-4b5c-8d9e-0a1b2c3d4e5f';
    const html = renderMarkdown(`# Tips\n- **only** the *tip*\n- see [the atlas](https://example.org/a?b=1&c=2)\n\n![hook tip](/api/guideline-images/${id})`);
    expect(html).toContain('<h3>Tips</h3>');
    expect(html).toContain('<ul>\n<li><strong>only</strong> the <em>tip</em></li>');
    expect(html).toContain('<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer" target="_blank">the atlas</a>');
    expect(html).toContain(`<img src="/api/guideline-images/${id}" alt="hook tip" loading="lazy" />`);
  });

  it('escapes HTML and refuses foreign pictures and script links', () => {
    const html = renderMarkdown('<img src=x onerror=alert(1)> [x](javascript:alert(1)) ![t](https://evil.example/p.png) "q"');
    expect(html).not.toMatch(/<img|<a /);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('[picture not shown: t]');
    expect(html).toContain('&quot;q&quot;');
  });
});
