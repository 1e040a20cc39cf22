import { createServer, type Server } from 'node:http';
import { SealpostError } from '@sealpost/envelope';
import type { Registry } from 'prom-client';

/** Serves `/metrics` (Prometheus), `/healthz` (the process is up) and `/readyz` (consuming). */
export interface HealthServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the health and metrics server on `host:port` (port 0 picks a free one). */
export async function startHealthServer(options: { host: string; port: number; registry: Registry; ready: () => boolean }): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405).end();
    } else if (path === '/metrics') {
      options.registry
        .metrics()
        .then((body) => response.writeHead(200, { 'content-type': options.registry.contentType }).end(body))
        .catch(() => response.writeHead(500).end());
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = options.ready();
      response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause: NodeJS.ErrnoException) => {
      const why = cause.code === 'EADDRINUSE' ? 'the port is in use' : cause.code === 'EADDRNOTAVAIL' ? 'the address is not one of this host' : cause.message;
      reject(new SealpostError('CONFIG_INVALID', `cannot serve metrics on ${options.host}:${options.port} (SEALPOST_METRICS_HOST, SEALPOST_METRICS_PORT): ${why}`, { cause }));
    });
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
