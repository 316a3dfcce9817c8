// In-process domain events: services publish after their transaction commits; the MCP server turns
// them into resource-update notifications and the notifier into chat pushes. Listeners must not
// throw into the publisher: each one runs in its own error boundary.
//
// Several instances on one Postgres: every event carries an id and the instance it comes from
// (`origin`). Relays (src/services/cluster/event-bridge.ts) send each local event to the other
// instances, which hand it to `receive`: an instance never delivers its own event a second time, nor
// one it has delivered already.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';

export type MikeyEvent =
  | { type: 'order.updated'; userId: string; portfolioId: string; orderId: string; status: string }
  | { type: 'order.filled'; userId: string; portfolioId: string; orderId: string; symbol: string; side: string; quantity: string; price: string; orderType: string }
  | { type: 'position.changed'; userId: string; portfolioId: string; symbol: string; reason: 'fill' | 'stop' | 'take_profit' | 'liquidation' | 'funding' | 'close' }
  | { type: 'balance.changed'; userId: string; portfolioId: string }
  | { type: 'alert.triggered'; userId: string; alertId: string; ruleId: string | null; title: string; message: string; severity: string; symbol: string | null }
  | { type: 'alert.rules.changed'; userId: string }
  | { type: 'risk.alert'; userId: string; portfolioId: string; severity: string; message: string }
  | { type: 'trading.halted'; userId: string; portfolioId: string | null; halted: boolean; reason: string | null }
  /**
   * A community competition's public push (start, daily standings, end) to a group chat; `key` names it
   * once. It belongs to no user: `userId` is always absent, so per-user listeners pass it by.
   */
  | { type: 'community.announcement'; platform: 'telegram' | 'discord'; chatId: string; text: string; key: string; userId?: undefined };

export type MikeyEventType = MikeyEvent['type'];

/** An event with its identity, as it travels between instances. */
export interface EventEnvelope {
  id: string;
  /** The instance that published it (EventBus.origin). */
  origin: string;
  event: MikeyEvent;
}

export interface EventMeta {
  id: string;
  origin: string;
  /** Published in this process (false: relayed from another instance). */
  local: boolean;
}

type Listener = (e: MikeyEvent, meta: EventMeta) => void | Promise<void>;

/** How many delivered remote event ids are remembered to drop repeats. */
const SEEN_IDS = 10_000;

export class EventBus {
  private readonly listeners = new Set<Listener>();
  private readonly relays = new Set<(envelope: EventEnvelope) => void>();
  private readonly seen = new Set<string>();
  /** This instance's name on events it publishes. */
  readonly origin: string;

  constructor(
    private readonly logger?: Logger,
    opts: { origin?: string } = {},
  ) {
    this.origin = opts.origin ?? randomUUID();
  }

  /** Subscribes; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds a relay that carries local events to the other instances; returns its removal. */
  relay(fn: (envelope: EventEnvelope) => void): () => void {
    this.relays.add(fn);
    return () => this.relays.delete(fn);
  }

  /** Publishes to every listener (and relay) without waiting; a failing listener is logged, never rethrown. */
  emit(event: MikeyEvent): void {
    const envelope: EventEnvelope = { id: randomUUID(), origin: this.origin, event };
    this.deliver(envelope, true);
    for (const r of this.relays) {
      try {
        r(envelope);
      } catch (err) {
        this.logger?.error('event relay failed', { event: event.type, error: err });
      }
    }
  }

  /**
   * An event relayed from another instance: delivered to the listeners unless it is this instance's
   * own or was delivered before. Returns whether it was delivered. Never relayed again.
   */
  receive(envelope: EventEnvelope): boolean {
    if (envelope.origin === this.origin || this.seen.has(envelope.id)) return false;
    this.seen.add(envelope.id);
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
    this.deliver(envelope, false);
    return true;
  }

  private deliver(envelope: EventEnvelope, local: boolean): void {
    const { event } = envelope;
    const meta: EventMeta = { id: envelope.id, origin: envelope.origin, local };
    for (const l of this.listeners) {
      try {
        const r = l(event, meta);
        if (r && typeof (r).catch === 'function') {
          (r).catch((err: unknown) => this.logger?.error('event listener failed', { event: event.type, error: err }));
        }
      } catch (err) {
        this.logger?.error('event listener failed', { event: event.type, error: err });
      }
    }
  }
}
