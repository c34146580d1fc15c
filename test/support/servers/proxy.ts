import * as net from 'net';

/**
 * A TCP relay in front of a real server, to make that server slow or unreachable at a chosen
 * moment without stopping it: `hold()` stops passing bytes either way (a store that hangs),
 * `cut()` drops every connection and stops listening, so connections are refused (a store that
 * went away), `restore()` undoes either, on the same port.
 */
export interface Relay {
  readonly port: number;
  hold(): void;
  cut(): Promise<void>;
  restore(): Promise<void>;
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
  const listen = (port: number) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => {
    server.off('error', reject);
    resolve();
  }));
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  const dropAll = () => {
    sockets.forEach((s) => s.destroy());
    sockets.clear();
    waiting = [];
  };
  return {
    port,
    hold: () => {
      state = 'held';
    },
    cut: async () => {
      if (state === 'cut') return;
      state = 'cut';
      const closed = new Promise((resolve) => server.close(resolve));
      dropAll();
      await closed;
    },
    restore: async () => {
      if (state === 'cut') await listen(port);
      state = 'open';
      for (const [to, chunk] of waiting) if (!to.destroyed) to.write(chunk);
      waiting = [];
    },
    stop: async () => {
      dropAll();
      if (state !== 'cut') await new Promise((resolve) => server.close(resolve));
    },
  };
}
