/** How the status function answers: JSON and self-contained HTML, never cached. */
import type { Response } from '@google-cloud/functions-framework';
import { COPY_SCRIPT_CSP_SOURCE } from '../core/page-shell.js';

/**
 * Blocks everything the pages do not need: they are self-contained, inline CSS and inline SVG; the one
 * script allowed is the copy button's, by its hash (core/page-shell.ts), so no injected script runs.
 */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'unsafe-inline'; script-src ${COPY_SCRIPT_CSP_SOURCE}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export function sendJson(res: Response, status: number, body: unknown): void {
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .set('X-Content-Type-Options', 'nosniff')
    .type('application/json; charset=utf-8')
    .send(`${JSON.stringify(body, null, 2)}\n`);
}

export function sendHtml(res: Response, status: number, body: string): void {
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .set('X-Content-Type-Options', 'nosniff')
    .set('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .type('text/html; charset=utf-8')
    .send(body);
}
