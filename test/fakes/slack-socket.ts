/**
 * A local Socket Mode endpoint: what `apps.connections.open` points the client at. Says hello on
 * connect, pushes envelopes (events_api, slash_commands, interactive) and records every ack.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { RequestLog } from './fake-http.ts';

export interface SocketAck {
  envelope_id: string;
  payload?: unknown;
  /** When the ack arrived (Date.now()). */
  at: number;
}

export interface FakeSlackSocket {
  /** ws://127.0.0.1:<port>/link */
  url: string;
  readonly acks: SocketAck[];
  /** Resolves once a client said hello back (connected). */
  connected(timeoutMs?: number): Promise<void>;
  /** Sends an envelope; returns its envelope_id. */
  send(
    type: 'events_api' | 'slash_commands' | 'interactive',
    payload: unknown,
    retry?: { attempt: number; reason: string },
  ): string;
  waitForAcks(count: number, timeoutMs?: number): Promise<SocketAck[]>;
  close(): Promise<void>;
}

export async function startFakeSlackSocket(): Promise<FakeSlackSocket> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const acks = new RequestLog<SocketAck>();
  const clients = new RequestLog<WebSocket>();

  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
      if (message.envelope_id)
        acks.push({ envelope_id: message.envelope_id, payload: message.payload, at: Date.now() });
    });
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'fake-slack-socket', approximate_connection_time: 3600 },
        connection_info: { app_id: 'AFAKEAPP' },
      }),
    );
    clients.push(socket);
  });

  return {
    url: `ws://127.0.0.1:${port}/link`,
    acks: acks.items,
    async connected(timeoutMs = 5000) {
      await clients.waitFor(1, timeoutMs);
    },
    send(type, payload, retry) {
      const envelopeId = randomBytes(8).toString('hex');
      const socket = clients.items.at(-1);
      if (!socket) throw new Error('no Socket Mode client connected');
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: type !== 'events_api',
          ...(type === 'events_api' && {
            retry_attempt: retry?.attempt ?? 0,
            retry_reason: retry?.reason ?? '',
          }),
        }),
      );
      return envelopeId;
    },
    waitForAcks: (count, timeoutMs) => acks.waitFor(count, timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
