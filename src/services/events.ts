// In-process domain events: services publish after their transaction commits; the MCP server turns
// them into resource-update notifications and the notifier into chat pushes. Listeners must not
// throw into the publisher: each one runs in its own error boundary.
import type { Logger } from '../log.js';

export type MikeyEvent =
  | { type: 'order.updated'; userId: string; portfolioId: string; orderId: string; status: string }
  | { type: 'order.filled'; userId: string; portfolioId: string; orderId: string; symbol: string; side: string; quantity: string; price: string; orderType: string }
  | { type: 'position.changed'; userId: string; portfolioId: string; symbol: string; reason: 'fill' | 'stop' | 'take_profit' | 'liquidation' | 'funding' | 'close' }
  | { type: 'balance.changed'; userId: string; portfolioId: string }
  | { type: 'alert.triggered'; userId: string; alertId: string; ruleId: string | null; title: string; message: string; severity: string; symbol: string | null }
  | { type: 'alert.rules.changed'; userId: string }
  | { type: 'risk.alert'; userId: string; portfolioId: string; severity: string; message: string }
  | { type: 'trading.halted'; userId: string; portfolioId: string | null; halted: boolean; reason: string | null };

export type MikeyEventType = MikeyEvent['type'];
type Listener = (e: MikeyEvent) => void | Promise<void>;

export class EventBus {
  private readonly listeners = new Set<Listener>();
  constructor(private readonly logger?: Logger) {}

  /** Subscribes; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publishes to every listener without waiting; a failing listener is logged, never rethrown. */
  emit(event: MikeyEvent): void {
    for (const l of this.listeners) {
      try {
        const r = l(event);
        if (r && typeof (r).catch === 'function') {
          (r).catch((err: unknown) => this.logger?.error('event listener failed', { event: event.type, error: err }));
        }
      } catch (err) {
        this.logger?.error('event listener failed', { event: event.type, error: err });
      }
    }
  }
}
