/**
 * HTML built safely, for the pages the status function serves. Branch names, commit messages and errors
 * are user input: every value goes into a page through the `html` template tag, which escapes it unless
 * it is markup built with the tag itself. Pure.
 */
// ---------------------------------------------------------------------------------------------------------
// Escaping

/** Markup built with `html`: inserted into a page as is. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an HTML text node or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

function interpolate(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(interpolate).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

/** Template tag: escapes every interpolated value except SafeHtml (and arrays of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += interpolate(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** An http(s) URL for an href, or null: never a `javascript:` or other scheme from the data. */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** A link to an http(s) URL, or just the content when the URL is not one. */
export function link(url: string | null | undefined, content: unknown, title?: string): SafeHtml {
  const href = safeHref(url);
  if (href === null) return html`${content}`;
  return html`<a href="${href}"${title ? html` title="${title}"` : ''}>${content}</a>`;
}

// ---------------------------------------------------------------------------------------------------------
// Links and ordering
