/** The local stack's functions: every function behind one gateway, at /<functionName>. */
import { type App, FUNCTION_NAMES, type HttpHandler } from '../../../functions/app.js';
import { startGateway } from '../gateway.js';
import type { Started } from './running-components.js';

/**
 * Starts the gateway on `port` (0: a free one); contributes its URL. The app is built after the
 * gateway (the configuration needs the gateway's URL), so each request asks `appOf` for it.
 */
export async function startFunctionsGateway(
  port: number,
  appOf: () => App,
): Promise<Started & { url: string }> {
  const handlers = Object.fromEntries(
    FUNCTION_NAMES.map((name) => [name, (req, res) => appOf().handler(name)(req, res)] as const),
  ) as Record<string, HttpHandler>;
  const gateway = await startGateway(handlers, { port });
  return { stop: () => gateway.stop(), url: gateway.url };
}
