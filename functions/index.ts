/**
 * Cloud Functions entry point: registers every function with the Functions Framework.
 * Deploy with `--entry-point=<name>` (see README "Deploying"). The configuration is read and
 * validated once per instance, on the first request; an invalid one is logged as CRITICAL with
 * every problem and each request answers 500 until it is fixed.
 */
import { http } from '@google-cloud/functions-framework';
import { type App, buildApp, FUNCTION_NAMES, type FunctionName } from './app.js';
import { describeConfig, loadConfig } from './config.js';
import { createLogger, describeError } from './log.js';

let app: App | undefined;
let startupError: Error | undefined;

function getApp(): App {
  if (app) return app;
  if (startupError) throw startupError;
  const logger = createLogger();
  try {
    const config = loadConfig(process.env);
    app = buildApp(config, { logger });
    logger.info('configuration loaded', { config: describeConfig(config) });
    return app;
  } catch (err) {
    startupError = err as Error;
    logger.error('invalid configuration: fix it and redeploy', {
      severity: 'CRITICAL',
      ...describeError(err),
    });
    throw err;
  }
}

for (const name of FUNCTION_NAMES) {
  http(name, async (req, res) => {
    let handlers: App;
    try {
      handlers = getApp();
    } catch (err) {
      res.status(500).json({ error: (err as Error).message });
      return;
    }
    await handlers[name as FunctionName](req, res);
  });
}
