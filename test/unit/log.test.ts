import assert from 'node:assert/strict';
import { createLogger, describeError, type LogFields, type Logger } from '../../functions/log.js';

/** A logger writing into an array, and the lines parsed. */
function capture(base?: LogFields): { logger: Logger; lines: string[]; entries: () => LogFields[] } {
  const lines: string[] = [];
  const logger = createLogger(base, (line) => lines.push(line));
  return { logger, lines, entries: () => lines.map((line) => JSON.parse(line) as LogFields) };
}

describe('createLogger', () => {
  const severityCases: Array<{ method: 'debug' | 'info' | 'warn' | 'error'; severity: string }> = [
    { method: 'debug', severity: 'DEBUG' },
    { method: 'info', severity: 'INFO' },
    { method: 'warn', severity: 'WARNING' },
    { method: 'error', severity: 'ERROR' },
  ];

  for (const { method, severity } of severityCases) {
    it(`${method}() writes one JSON line with severity ${severity}`, () => {
      const { logger, lines, entries } = capture();
      logger[method]('webhook received', { deliveryId: 'd-1' });
      assert.equal(lines.length, 1);
      assert.ok(!lines[0]?.includes('\n'), 'one line');
      assert.deepEqual(entries(), [{ severity, message: 'webhook received', deliveryId: 'd-1' }]);
    });
  }

  it('writes one line per call', () => {
    const { logger, entries } = capture();
    logger.info('first');
    logger.warn('second');
    logger.info('third');
    assert.deepEqual(
      entries().map((entry) => [entry.severity, entry.message]),
      [
        ['INFO', 'first'],
        ['WARNING', 'second'],
        ['INFO', 'third'],
      ],
    );
  });

  it('keeps a multi-line message on one line', () => {
    const { logger, lines, entries } = capture();
    logger.error('deploy failed:\nkfctl exited 1\n');
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]?.includes('\n'));
    assert.equal(entries()[0]?.message, 'deploy failed:\nkfctl exited 1\n');
  });

  interface FieldsCase {
    name: string;
    log: (logger: Logger) => void;
    expected: LogFields;
  }

  const fieldsCases: FieldsCase[] = [
    {
      name: 'base fields on every line',
      log: (logger) => logger.info('m'),
      expected: { severity: 'INFO', message: 'm', function: 'githubWebhook' },
    },
    {
      name: 'child fields merged with the base',
      log: (logger) => logger.child({ deliveryId: 'd-1', event: 'push' }).info('m'),
      expected: {
        severity: 'INFO',
        message: 'm',
        function: 'githubWebhook',
        deliveryId: 'd-1',
        event: 'push',
      },
    },
    {
      name: 'a child of a child merging all',
      log: (logger) => logger.child({ deliveryId: 'd-1' }).child({ version: 'v1', commit: 'abc' }).warn('m'),
      expected: {
        severity: 'WARNING',
        message: 'm',
        function: 'githubWebhook',
        deliveryId: 'd-1',
        version: 'v1',
        commit: 'abc',
      },
    },
    {
      name: 'a child field overriding its parent',
      log: (logger) => logger.child({ function: 'deployWorker' }).info('m'),
      expected: { severity: 'INFO', message: 'm', function: 'deployWorker' },
    },
    {
      name: 'call fields overriding child fields',
      log: (logger) => logger.child({ version: 'master' }).info('m', { version: 'v1', task: 't-1' }),
      expected: { severity: 'INFO', message: 'm', function: 'githubWebhook', version: 'v1', task: 't-1' },
    },
    {
      name: 'nested and non-string fields kept as JSON',
      log: (logger) =>
        logger.info('m', { bytes: 12, ok: false, none: null, list: [1, 'a'], config: { a: { b: 1 } } }),
      expected: {
        severity: 'INFO',
        message: 'm',
        function: 'githubWebhook',
        bytes: 12,
        ok: false,
        none: null,
        list: [1, 'a'],
        config: { a: { b: 1 } },
      },
    },
    {
      name: 'a Date as its ISO string',
      log: (logger) => logger.info('m', { at: new Date('2024-05-06T07:08:09.000Z') }),
      expected: { severity: 'INFO', message: 'm', function: 'githubWebhook', at: '2024-05-06T07:08:09.000Z' },
    },
  ];

  for (const testCase of fieldsCases) {
    it(`writes ${testCase.name}`, () => {
      const { logger, entries } = capture({ function: 'githubWebhook' });
      testCase.log(logger);
      assert.deepEqual(entries(), [testCase.expected]);
    });
  }

  it('does not change the parent when a child is made', () => {
    const { logger, entries } = capture({ function: 'githubWebhook' });
    logger.child({ deliveryId: 'd-1' }).info('child');
    logger.info('parent');
    assert.deepEqual(entries()[1], { severity: 'INFO', message: 'parent', function: 'githubWebhook' });
  });

  it('serialises an Error field into its name, message and stack', () => {
    const { logger, entries } = capture();
    const err = new TypeError('Cannot read properties of undefined');
    logger.error('request failed', { err });

    const entry = entries()[0];
    assert.deepEqual(entry?.err, {
      errorName: 'TypeError',
      error: 'Cannot read properties of undefined',
      stack: err.stack,
    });
  });

  it('serialises Errors nested in arrays and objects, with custom names', () => {
    class ApiError extends Error {
      override name = 'ApiError';
    }
    const { logger, entries } = capture();
    logger.warn('retrying', {
      attempts: [new ApiError('409 conflict')],
      cause: { last: new Error('timeout') },
    });

    const entry = entries()[0];
    assert.ok(entry);
    const [attempt] = entry.attempts as LogFields[];
    assert.equal(attempt?.errorName, 'ApiError');
    assert.equal(attempt?.error, '409 conflict');
    const cause = entry.cause as { last: LogFields };
    assert.equal(cause.last.error, 'timeout');
  });

  it('spreads describeError into the line', () => {
    const { logger, entries } = capture();
    logger.error('reading the deployment status failed', {
      route: 'index',
      ...describeError(new RangeError('bad')),
    });
    const entry = entries()[0];
    assert.equal(entry?.severity, 'ERROR');
    assert.equal(entry?.errorName, 'RangeError');
    assert.equal(entry?.error, 'bad');
    assert.match(String(entry?.stack), /RangeError: bad/);
  });
});

describe('describeError', () => {
  const cases: Array<{ name: string; input: unknown; expected: LogFields }> = [
    { name: 'a string', input: 'plain failure', expected: { error: 'plain failure' } },
    { name: 'a number', input: 42, expected: { error: '42' } },
    { name: 'undefined', input: undefined, expected: { error: 'undefined' } },
    { name: 'a plain object', input: { code: 7 }, expected: { error: '[object Object]' } },
  ];

  for (const testCase of cases) {
    it(`describes ${testCase.name}`, () => {
      assert.deepEqual(describeError(testCase.input), testCase.expected);
    });
  }

  it('describes an Error by name, message and stack', () => {
    const err = new SyntaxError('Unexpected token');
    assert.deepEqual(describeError(err), {
      errorName: 'SyntaxError',
      error: 'Unexpected token',
      stack: err.stack,
    });
  });
});

describe('log entries keep their own severity and message', () => {
  it('context fields named severity or message do not overwrite them', () => {
    const lines: string[] = [];
    const logger = createLogger({ severity: 'DEBUG' }, (line) => lines.push(line));
    logger.error('boom', { message: 'a commit message' });
    const entry = JSON.parse(lines[0] ?? '{}');
    assert.equal(entry.severity, 'ERROR');
    assert.equal(entry.message, 'boom');
  });

  it('a field that cannot be serialised does not throw', () => {
    const lines: string[] = [];
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    createLogger({}, (line) => lines.push(line)).warn('odd', { circular, big: 10n });
    const entry = JSON.parse(lines[0] ?? '{}');
    assert.equal(entry.severity, 'WARNING');
    assert.match(entry.logError, /could not be serialised/);
  });

  it('critical writes CRITICAL', () => {
    const lines: string[] = [];
    createLogger({}, (line) => lines.push(line)).critical('config invalid');
    assert.equal(JSON.parse(lines[0] ?? '{}').severity, 'CRITICAL');
  });
});
