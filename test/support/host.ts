/** Test helper: an emulator's `host:port`, parsed as the configuration would hand it to an adapter. */
import assert from 'node:assert/strict';
import { type HostPort, parseHostPort } from '../../functions/config/host-port.js';

export function hostOf(address: string): HostPort {
  const parsed = parseHostPort(address);
  assert.ok(parsed, `not host:port: ${address}`);
  return parsed;
}
