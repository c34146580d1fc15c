import * as net from 'net';

/**
 * A TCP relay in front of a real server, to make that server slow or unreachable at a chosen
 * moment without stopping it: `hold()` stops passing bytes either way (a store that hangs),
 * `cut()` drops every connection and refuses new ones (a store that went away), `restore()`
 * undoes either.
 */
export interface Relay {
  readonly port: number;
  hold(): void;
  cut(): void;
  restore(): void;
  stop(): Promise<void>;
}

export async function startRelay(target: { host: string; port: number }): Promise<Relay> {
  let state: 'open' | 'held' | 'cut' = 'open';
  const sockets = new Set<net.Socket>();
  /** Bytes held back while held: each destination and what waits for it, in order. */
  let waiting: Array<[net.Socket, Buffer]> = [];
  const relay = (from: net.Socket, to: net.Socket) => from.on('data', (chunk: Buffer) => {
    if (state === 'held') waiting.push([to, chunk]);
    else to.write(chunk);
  });
  const server = net.createServer((client) => {
    if (state === 'cut') {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', end).on('close', end);
    }
    relay(client, upstream);
    relay(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dropAll = () => {
    sockets.forEach((s) => s.destroy());
    sockets.clear();
    waiting = [];
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    hold: () => {
      state = 'held';
    },
    cut: () => {
      state = 'cut';
      dropAll();
    },
    restore: () => {
      state = 'open';
      for (const [to, chunk] of waiting) if (!to.destroyed) to.write(chunk);
      waiting = [];
    },
    stop: async () => {
      dropAll();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
