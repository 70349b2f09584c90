/**
 * The discovery documents kubectl reads before every command (`/version`, `/api`, `/api/v1`,
 * `/apis`, `/apis/GROUP`, `/apis/GROUP/VERSION`), in their legacy shapes, built from the kinds in
 * resources/index.ts. kubectl asks for aggregated discovery first and falls back to these when the
 * answer is a plain APIVersions / APIGroupList.
 */

import { groupVersionOf } from './resource-type.js';
import { type DiscoveredType, SERVED_TYPES } from './resources/index.js';

/** The Kubernetes version this server answers like (its Job semantics and printers are 1.32's). */
export const EMULATED_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-kube-server' };

/** `/version`: what `kubectl version` prints as the server version. */
export function versionInfo(): Record<string, string> {
  return {
    ...EMULATED_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'node',
    platform: `${process.platform}/${process.arch}`,
  };
}

/** `/api`: the core group's versions. */
export function coreApiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** `/apis`: every named group with a served kind. */
export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupNames().map(apiGroupBody) };
}

/** `/apis/GROUP`, or null when no served kind is in it. */
export function apiGroup(group: string): Record<string, unknown> | null {
  if (!groupNames().includes(group)) return null;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroupBody(group) };
}

/** `/api/v1` or `/apis/GROUP/VERSION`: the resources served there, or null when none is. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | null {
  const types = SERVED_TYPES.filter((type) => type.group === group && type.version === version);
  if (types.length === 0) return null;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: groupVersionOf({ group, version }),
    resources: types.map((type) => type.resource),
  };
}

function groupNames(): string[] {
  return [...new Set(SERVED_TYPES.map((type) => type.group).filter((group) => group !== ''))];
}

function apiGroupBody(group: string) {
  const versions = [
    ...new Set(
      SERVED_TYPES.filter((type: DiscoveredType) => type.group === group).map((type) => type.version),
    ),
  ].map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions, preferredVersion: versions[0] };
}
