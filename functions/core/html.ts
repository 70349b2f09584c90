/**
 * HTML built safely, for the pages the status function serves. Branch names, commit messages and errors
 * are user input: every value goes into a page through the `html` template tag, which escapes it unless
 * it is markup built with the tag itself. Pure.
 */
import { formatUtcTime } from './describe.js';
import { formatRelative, formatUtcDateTime } from './time.js';

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

/**
 * A moment as both pages show every time: UTC and relative, `14:05 UTC (12 min ago)` (with the date when
 * it is not today's: `Nov 29 22:10 UTC (16 h ago)`), the full instant in the tooltip. The one helper
 * for times on the pages, so they read the same everywhere.
 */
export function whenText(at: Date, now: Date): string {
  return `${formatUtcTime(at, now)} (${formatRelative(at, now)})`;
}

/** `whenText` in a `<time>` element whose `datetime` is the ISO instant. */
export function whenHtml(at: Date, now: Date): SafeHtml {
  return html`<time datetime="${at.toISOString()}" title="${formatUtcDateTime(at)}">${whenText(at, now)}</time>`;
}
