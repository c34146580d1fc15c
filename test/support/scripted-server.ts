import * as http from 'http';
import type { AddressInfo } from 'net';

export interface ScriptedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** What the server does with one request: answer it, or drop the connection. */
export type Script = (req: ScriptedRequest, n: number) =>
  | { status: number; body?: string; headers?: Record<string, string> }
  | 'destroy';

/**
 * A real HTTP server on loopback whose answers a test scripts request by request: for answers
 * the simulator has no reason to give (odd error bodies, redirects, a proxy's page, a Warning
 * result). Never a mock of the client: the client talks HTTP to it.
 */
export class ScriptedServer {
  static async start(script: Script): Promise<ScriptedServer> {
    const s = new ScriptedServer(script);
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  readonly requests: ScriptedRequest[] = [];
  private readonly server: http.Server;

  private constructor(public script: Script) {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
        this.requests.push(request);
        const answer = this.script(request, this.requests.length);
        if (answer === 'destroy') {
          req.socket.destroy();
          return;
        }
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(answer.body ?? '');
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
