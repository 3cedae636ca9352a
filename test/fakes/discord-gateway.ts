/**
 * A local Discord gateway (plain JSON frames: no zlib-sync here): HELLO → IDENTIFY → READY, then a
 * GUILD_CREATE per guild; heartbeats acknowledged. Like Discord, a session outlives its socket:
 * events dispatched while the client is away are kept, and a RESUME replays those after the
 * client's last sequence number, then RESUMED. It can refuse the next IDENTIFY with a close code
 * (4014 disallowed intents, 4004 bad token) and drop every connection (a network blip), and it can
 * lose what happened meanwhile like Discord sometimes does: sessions forgotten (the RESUME is
 * refused with op 9, the client identifies anew and nothing is replayed), or events for an absent
 * client dropped (the RESUME succeeds and replays nothing). While connections are held, clients
 * that dial in get no HELLO: they stay away until released.
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Json } from './discord-payloads.ts';

const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  Resume: 6,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;
const HISTORY = 1_000;

export interface GatewaySetup {
  /** READY's `d`, given the session id and this gateway's URL (resume_gateway_url). */
  ready(sessionId: string, url: string): Json;
  /** GUILD_CREATE payloads sent after READY. */
  guilds(): Json[];
  heartbeatIntervalMs?: number;
}

interface Session {
  id: string;
  seq: number;
  socket: WebSocket | undefined;
  /** Recent dispatches, for RESUME. */
  history: Array<{ seq: number; frame: string }>;
}

export interface IdentifyRecord {
  token: string;
  intents: number;
}

export class FakeGateway {
  url = '';
  readonly identifies: IdentifyRecord[] = [];
  resumes = 0;
  heartbeats = 0;
  /** When set, the next IDENTIFY is answered by closing with this code. */
  refuseNextIdentify: number | undefined;
  /** Events for a session whose client is away are dropped, not kept for its RESUME. */
  dropEventsWhileAway = false;
  private held: WebSocket[] | undefined;
  private server: WebSocketServer | undefined;
  private readonly sessions = new Map<string, Session>();
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly setup: GatewaySetup) {}

  async start(): Promise<void> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    this.server = server;
    this.url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Sends an event to every session (kept for a resume if its client is reconnecting). */
  dispatch(type: string, data: Json): void {
    for (const session of this.sessions.values()) this.send(session, type, data);
  }

  /** Sessions with a connected client. */
  get connected(): number {
    return [...this.sessions.values()].filter((s) => s.socket).length;
  }

  /**
   * Cuts every connection without a close frame; clients reconnect and resume. `forgetSessions`:
   * their RESUME is refused (op 9), so they identify anew and what happened meanwhile is lost.
   */
  dropConnections(options: { forgetSessions?: boolean } = {}): void {
    if (options.forgetSessions) this.sessions.clear();
    for (const session of this.sessions.values()) session.socket = undefined;
    for (const socket of this.sockets) socket.terminate();
  }

  /** Clients that connect from now on wait for their HELLO (the gateway is unreachable)… */
  holdConnections(): void {
    this.held ??= [];
  }

  /** …until now. */
  releaseConnections(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const socket of held) if (socket.readyState === socket.OPEN) this.hello(socket);
  }

  async close(): Promise<void> {
    this.dropConnections();
    this.sessions.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(socket: WebSocket): void {
    this.sockets.add(socket);
    let session: Session | undefined;
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (session?.socket === socket) session.socket = undefined;
    });
    socket.on('message', (raw) => {
      session = this.receive(socket, session, raw.toString());
    });
    if (this.held) this.held.push(socket);
    else this.hello(socket);
  }

  private hello(socket: WebSocket): void {
    const hello = { heartbeat_interval: this.setup.heartbeatIntervalMs ?? 1_000 };
    socket.send(JSON.stringify({ op: Op.Hello, d: hello, s: null, t: null }));
  }

  /** Handles one frame; returns the session the socket now belongs to. */
  private receive(socket: WebSocket, session: Session | undefined, raw: string): Session | undefined {
    const frame = JSON.parse(raw) as { op: number; d: Json | number | null };
    if (frame.op === Op.Heartbeat) {
      this.heartbeats += 1;
      socket.send(JSON.stringify({ op: Op.HeartbeatAck, d: null, s: null, t: null }));
      return session;
    }
    if (frame.op === Op.Identify) {
      const d = frame.d as { token: string; intents: number };
      this.identifies.push({ token: d.token, intents: d.intents });
      if (this.refuseNextIdentify !== undefined) {
        const code = this.refuseNextIdentify;
        this.refuseNextIdentify = undefined;
        socket.close(code, 'refused by the fake gateway');
        return session;
      }
      const fresh: Session = { id: `session-${this.identifies.length}`, seq: 0, socket, history: [] };
      this.sessions.set(fresh.id, fresh);
      this.send(fresh, 'READY', this.setup.ready(fresh.id, this.url));
      for (const guild of this.setup.guilds()) this.send(fresh, 'GUILD_CREATE', guild);
      return fresh;
    }
    if (frame.op === Op.Resume) {
      const d = frame.d as { session_id: string; seq: number };
      const resumed = this.sessions.get(d.session_id);
      if (!resumed) {
        socket.send(JSON.stringify({ op: Op.InvalidSession, d: false, s: null, t: null }));
        return session;
      }
      this.resumes += 1;
      resumed.socket = socket;
      for (const missed of resumed.history.filter((h) => h.seq > d.seq)) socket.send(missed.frame);
      this.send(resumed, 'RESUMED', {});
      return resumed;
    }
    return session;
  }

  private send(session: Session, type: string, data: Json): void {
    if (!session.socket && this.dropEventsWhileAway) return;
    session.seq += 1;
    const frame = JSON.stringify({ op: Op.Dispatch, t: type, s: session.seq, d: data });
    session.history.push({ seq: session.seq, frame });
    if (session.history.length > HISTORY) session.history.shift();
    session.socket?.send(frame);
  }
}
