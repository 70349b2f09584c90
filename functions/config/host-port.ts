/** `host:port` values (the emulator hosts), parsed once by the configuration. */

/** A host and a port; an IPv6 host keeps its brackets, as clients join them with ':'. */
export interface HostPort {
  host: string;
  port: number;
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):(\d{1,5})$/;

/** `host:port` (IPv6 as `[::1]:8123`) with a port from 1 to 65535, or null. */
export function parseHostPort(text: string): HostPort | null {
  const match = HOST_PORT.exec(text.trim());
  const port = Number(match?.[2]);
  if (!match?.[1] || port < 1 || port > 65535) return null;
  return { host: match[1], port };
}

/** Back to `host:port`. */
export function formatHostPort(value: HostPort): string {
  return `${value.host}:${value.port}`;
}
