import assert from 'node:assert/strict';
import { formatHostPort, parseHostPort } from '../../functions/config/host-port.js';

describe('parseHostPort', () => {
  const valid: Array<[string, { host: string; port: number }]> = [
    ['localhost:8080', { host: 'localhost', port: 8080 }],
    ['127.0.0.1:1', { host: '127.0.0.1', port: 1 }],
    ['[::1]:8123', { host: '[::1]', port: 8123 }],
    [' emulator.internal:65535 ', { host: 'emulator.internal', port: 65535 }],
  ];
  for (const [text, expected] of valid) {
    it(`${JSON.stringify(text)} -> ${expected.host} ${expected.port}`, () => {
      assert.deepEqual(parseHostPort(text), expected);
      assert.equal(formatHostPort(expected), text.trim());
    });
  }
  for (const text of [
    'localhost',
    'localhost:',
    ':8123',
    'http://localhost:8123',
    'localhost:99999',
    'localhost:0',
    '::1:8123',
    'local host:80',
  ]) {
    it(`${JSON.stringify(text)} is not host:port`, () => assert.equal(parseHostPort(text), null));
  }
});
