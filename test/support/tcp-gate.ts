/**
 * A TCP forwarder a test owns on a free port: each connection is piped to the current target, or
 * closed at once while there is none (to a client, a server that is down). A test can stop a server
 * and bring another one back "at the same address" without binding a port it let go of, which
 * another process (tests of other worktrees run at the same time) may have taken meanwhile.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';

export interface TcpGate {
  /** `127.0.0.1:PORT`, the address clients use for the whole test. */
  address: string;
  /**
   * Sends new connections to `target` (`host:port`), or closes them at once when null. Open
   * connections are dropped, as when the server behind them goes away.
   */
  setTarget(target: string | null): void;
  close(): Promise<void>;
}

function hostAndPort(target: string): { host: string; port: number } {
  const colon = target.lastIndexOf(':');
  return { host: target.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(target.slice(colon + 1)) };
}

/** Starts a gate on a free port of 127.0.0.1, forwarding to `target` (or to nothing). */
export async function startTcpGate(target: string | null): Promise<TcpGate> {
  let current = target;
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  };
  const server = createServer((client) => {
    track(client);
    if (current === null) {
      client.destroy();
      return;
    }
    const upstream = connect(hostAndPort(current));
    track(upstream);
    // Either side ending or failing ends both, like one connection.
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', drop);
      socket.on('close', drop);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const dropAll = () => {
    for (const socket of open) socket.destroy();
  };
  return {
    address: `127.0.0.1:${port}`,
    setTarget(next) {
      current = next;
      dropAll();
    },
    async close() {
      current = null;
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
