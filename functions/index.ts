/**
 * Cloud Functions entry point: registers every function with the Functions Framework.
 * Deploy each with `--entry-point=<name>` (see README "Deploying"). The configuration is read and
 * validated once per instance, on the first request; an invalid one is logged as CRITICAL with
 * every problem, and each request answers 500 with the message until it is fixed.
 * Request bodies are read by functions/http/ (at each function's limit), not by the framework's parsers.
 * The function FUNCTION_TARGET names (Cloud Functions sets it) has its modules loaded here, before the
 * framework serves its first request (function-modules.ts says why). Each request leaves the
 * framework's per-request domain as it starts (http/request-domain.ts says why).
 */
import { http } from '@google-cloud/functions-framework';
import { type App, buildApp, FUNCTION_NAMES, type HttpHandler } from './app.js';
import { describeConfig, loadConfig } from './config.js';
import { FUNCTION_MODULES, servedFunction } from './function-modules.js';
import { BODY_LIMIT_BYTES } from './http/body-limits.js';
import { readBodiesOurselves, withBodyLimit } from './http/own-body-reader.js';
import { outsideRequestDomain } from './http/request-domain.js';
import { createLogger, describeError } from './log.js';

readBodiesOurselves();
const logger = createLogger();
let app: App | undefined;

function handlerFor(name: (typeof FUNCTION_NAMES)[number]): HttpHandler {
  if (!app) {
    const startedMs = performance.now();
    const config = loadConfig(process.env);
    app = buildApp(config, { logger });
    logger.info('configuration loaded', {
      config: describeConfig(config),
      durationMs: Math.round(performance.now() - startedMs),
    });
  }
  return app.handler(name);
}

for (const name of FUNCTION_NAMES) {
  const serve = async (req: Parameters<HttpHandler>[0], res: Parameters<HttpHandler>[1]) => {
    let handler: HttpHandler;
    try {
      handler = handlerFor(name);
    } catch (err) {
      logger.critical(`${name} cannot start: fix the configuration and redeploy`, describeError(err));
      res.status(500).json({ error: (err as Error).message });
      return;
    }
    await handler(req, res);
  };
  http(name, withBodyLimit(outsideRequestDomain(serve), BODY_LIMIT_BYTES[name]));
}

/** Loads the served function's modules; the framework awaits this module before it listens. */
async function loadServedFunction(env: NodeJS.ProcessEnv): Promise<void> {
  const served = servedFunction(env);
  if (!served) return;
  const startedMs = performance.now();
  try {
    await FUNCTION_MODULES[served]();
    logger.info('modules loaded at start', {
      function: served,
      durationMs: Math.round(performance.now() - startedMs),
    });
  } catch (err) {
    // Its first request imports them again and answers 500 with the problem (CRITICAL), as it would
    // without FUNCTION_TARGET.
    logger.error(`${served}: its modules did not load at start`, describeError(err));
  }
}

await loadServedFunction(process.env);
