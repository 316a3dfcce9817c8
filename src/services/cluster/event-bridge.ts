// The event bus across instances on one Postgres: every local event is sent with NOTIFY on one
// channel, and every instance LISTENs on a connection of its own and hands what it hears to
// `EventBus.receive`, which drops the instance's own events and repeats. A NOTIFY payload must stay
// under 8000 bytes: events carry ids and short fields only, and a text field that would push the
// payload over the limit is shortened (the full text stays in the database, e.g. `alerts.message`).
//
// Delivery between instances is at most once: an event sent while an instance's LISTEN connection is
// down is not replayed to it. State that matters lives in the database; events only say "look again"
// (MCP resource updates) or carry a push that the sending path owns (chat pushes, see serve.ts).
import pg from 'pg';
import type { Logger } from '../../log.js';
import type { EventBus, EventEnvelope } from '../events.js';

export const EVENT_CHANNEL = 'mikey_events';
/** Postgres refuses NOTIFY payloads of 8000 bytes or more; keep a margin. */
export const MAX_PAYLOAD_BYTES = 7_900;

export interface EventBridgeStatus {
  connected: boolean;
  error?: string;
  sent: number;
  /** Notifications heard on the channel (own and repeated ones included). */
  heard: number;
  /** Of those, delivered here. */
  received: number;
}

export interface PgEventBridgeOptions {
  /** The database the instances share (the LISTEN connection is opened on it). */
  connectionString: string;
  /** Where NOTIFY is sent from (the app's pool). */
  pool: pg.Pool;
  events: EventBus;
  logger?: Logger;
  channel?: string;
}

/** The payload for `envelope`, shortened to fit NOTIFY; undefined when even that cannot fit. */
export function encodeEnvelope(envelope: EventEnvelope): string | undefined {
  let text = JSON.stringify(envelope);
  if (Buffer.byteLength(text) < MAX_PAYLOAD_BYTES) return text;
  const event = { ...envelope.event } as Record<string, unknown>;
  // Shorten the longest text fields first until it fits.
  for (let round = 0; round < 8; round++) {
    const longest = Object.entries(event)
      .filter((e): e is [string, string] => typeof e[1] === 'string')
      .sort((a, b) => b[1].length - a[1].length)[0];
    if (!longest || longest[1].length <= 200) break;
    const over = Buffer.byteLength(text) - MAX_PAYLOAD_BYTES;
    event[longest[0]] = `${longest[1].slice(0, Math.max(100, longest[1].length - over - 100))}…`;
    text = JSON.stringify({ ...envelope, event });
    if (Buffer.byteLength(text) < MAX_PAYLOAD_BYTES) return text;
  }
  return undefined;
}

export function decodeEnvelope(payload: string): EventEnvelope | undefined {
  try {
    const v = JSON.parse(payload) as Partial<EventEnvelope>;
    if (typeof v.id !== 'string' || typeof v.origin !== 'string' || typeof v.event !== 'object' || v.event === null || typeof v.event.type !== 'string') return undefined;
    return v as EventEnvelope;
  } catch {
    return undefined;
  }
}

/** Most events in one NOTIFY statement. */
const MAX_BATCH = 100;

export class PgEventBridge {
  private client: pg.Client | undefined;
  private connected = false;
  private error: string | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = 1_000;
  private sending: Promise<unknown> = Promise.resolve();
  /** Events waiting for the statement on its way. */
  private readonly queue: Array<{ payload: string; type: string }> = [];
  private offRelay: (() => void) | undefined;
  private sent = 0;
  private received = 0;
  private heard = 0;
  private readonly channel: string;

  constructor(private readonly opts: PgEventBridgeOptions) {
    this.channel = opts.channel ?? EVENT_CHANNEL;
  }

  /** Sends this instance's events to the others (every process on Postgres, one-shot commands too). */
  startRelay(): void {
    if (this.stopped) return;
    this.offRelay ??= this.opts.events.relay((envelope) => this.send(envelope));
  }

  /** Relays, and connects the LISTEN connection (a failure is retried in the background). */
  async start(): Promise<void> {
    this.startRelay();
    if (this.client || this.stopped) return;
    await this.connect();
  }

  status(): EventBridgeStatus {
    return { connected: this.connected, ...(this.error ? { error: this.error } : {}), sent: this.sent, heard: this.heard, received: this.received };
  }

  /** Resolves when every event relayed so far has been handed to the database. */
  async flushed(): Promise<void> {
    let last: Promise<unknown>;
    do {
      last = this.sending;
      await last;
    } while (last !== this.sending);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.offRelay?.();
    clearTimeout(this.retryTimer);
    await this.flushed();
    const c = this.client;
    this.client = undefined;
    this.connected = false;
    await c?.end().catch(() => undefined);
  }

  private send(envelope: EventEnvelope): void {
    const payload = encodeEnvelope(envelope);
    if (!payload) {
      this.opts.logger?.warn('event too large to send to other instances; delivered here only', { event: envelope.event.type });
      return;
    }
    // One statement at a time, so instances hear an instance's events in the order it published
    // them; what is published while one is on its way goes out together in the next (one round trip
    // for a burst: a fill publishes several events at once).
    this.queue.push({ payload, type: envelope.event.type });
    if (this.queue.length > 1) return;
    this.sending = this.sending.then(() => this.sendQueued());
  }

  private async sendQueued(): Promise<void> {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (this.queue.length > 0) this.sending = this.sending.then(() => this.sendQueued());
    try {
      // unnest keeps the array's order, and one statement's notifications are delivered in the order made.
      await this.opts.pool.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [this.channel, batch.map((b) => b.payload)]);
      this.sent += batch.length;
    } catch (err) {
      this.opts.logger?.warn('could not send events to other instances', { events: batch.map((b) => b.type), error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.opts.connectionString });
    const lost = (err?: Error): void => {
      if (this.client !== client) return;
      this.client = undefined;
      this.connected = false;
      this.error = err?.message ?? 'the connection closed';
      client.end().catch(() => undefined);
      if (!this.stopped) {
        this.opts.logger?.warn('event bridge: LISTEN connection lost; reconnecting', { error: this.error });
        this.scheduleRetry();
      }
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (msg) => {
      if (msg.channel !== this.channel || !msg.payload) return;
      this.heard++;
      const envelope = decodeEnvelope(msg.payload);
      if (!envelope) {
        this.opts.logger?.warn('event bridge: unreadable event ignored');
        return;
      }
      if (this.opts.events.receive(envelope)) this.received++;
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
      if (this.client !== client) return;
      this.connected = true;
      this.error = undefined;
      this.retryMs = 1_000;
    } catch (err) {
      lost(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
  }
}
