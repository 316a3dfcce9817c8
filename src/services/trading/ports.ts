// What the trading services need beyond the domain's `Broker` and `PriceFeed`: a stream of execution
// reports (fills and triggers that happen after `submit` returned, as resting orders work), a way to
// hand a simulated venue the resting orders it held before a restart, order books, and a timer the
// engine's periodic work runs on (stepped by hand in tests).
import type { Dec } from '../../domain/money.js';
import type { BrokerFill, BrokerOrder, BrokerOrderRef, BrokerOrderRequest } from '../../domain/broker.js';
import type { OrderBookSnapshot } from '../../domain/ports.js';
import type { Broker } from '../../domain/broker.js';

export const ExecutionEvent = {
  fill: 'fill',
  triggered: 'triggered',
  trailMoved: 'trail_moved',
  expired: 'expired',
  cancelled: 'cancelled',
} as const;
export type ExecutionEvent = (typeof ExecutionEvent)[keyof typeof ExecutionEvent];

/** Something that happened to a working order at the venue, outside any request of ours. */
export interface ExecutionReport {
  accountId: string;
  event: ExecutionEvent;
  /** The venue's view of the order after the event. */
  order: BrokerOrder;
  /** Executions reported with this event (their trade ids make re-delivery harmless). */
  fills: BrokerFill[];
  /** Best price seen by a trailing stop (persisted so it survives a restart). */
  trailReference?: Dec;
  /** Why an order expired or was cancelled by the venue, or a note on a fill (oracle flagged). */
  reason?: string;
  notes?: string[];
}

export interface ExecutionStream {
  /** Calls `listener` for every report until unsubscribed. */
  onExecution(listener: (report: ExecutionReport) => void): () => void;
}

export function isExecutionStream(b: unknown): b is ExecutionStream {
  return typeof (b as { onExecution?: unknown }).onExecution === 'function';
}

/** The state of one resting order as committed in our database, for a venue that must be told after a restart. */
export interface RestingOrderSnapshot {
  request: BrokerOrderRequest;
  /** Quantity already filled (and booked). */
  filledQuantity: Dec;
  averageFillPrice?: Dec;
  /** Fills booked so far; a simulated venue numbers its next fill after these. */
  fillCount: number;
  /** A stop-limit whose trigger already fired rests as a limit order. */
  triggered: boolean;
  trailReference?: Dec;
  createdAt: Date;
}

export interface RestorableBroker {
  /** Replaces the venue's resting book with these orders (a simulated venue's memory after a restart). */
  restore(orders: readonly RestingOrderSnapshot[]): void;
  /** Re-evaluates resting orders against current prices (the periodic sweep). */
  sweep(): Promise<void>;
}

export function isRestorableBroker(b: Broker): b is Broker & RestorableBroker {
  return typeof (b as Partial<RestorableBroker>).restore === 'function' && typeof (b as Partial<RestorableBroker>).sweep === 'function';
}

/** Order books for a market order to walk, when the venue has them. */
export interface OrderBookSource {
  getOrderBook(symbol: string): Promise<OrderBookSnapshot | undefined>;
}

/** Periodic work. `every` returns its cancel function. */
export interface Timer {
  every(ms: number, fn: () => Promise<void>): () => void;
}

/** Real time: `setInterval`, unref'd so it never keeps the process alive; runs never overlap. */
export const realTimer: Timer = {
  every(ms, fn) {
    let running = false;
    const h = setInterval(() => {
      if (running) return;
      running = true;
      fn()
        .catch(() => undefined)
        .finally(() => {
          running = false;
        });
    }, ms);
    h.unref();
    return () => clearInterval(h);
  },
};

/** A timer stepped by hand: `fire()` runs every registered task once, in registration order. */
export class ManualTimer implements Timer {
  private readonly tasks = new Map<number, { ms: number; fn: () => Promise<void> }>();
  private next = 1;

  every(ms: number, fn: () => Promise<void>): () => void {
    const id = this.next++;
    this.tasks.set(id, { ms, fn });
    return () => {
      this.tasks.delete(id);
    };
  }

  async fire(): Promise<void> {
    for (const t of [...this.tasks.values()]) await t.fn();
  }

  get size(): number {
    return this.tasks.size;
  }
}

/** Whether a venue takes an order natively; when not, MIKEY may emulate it and says why (`reason`, a trader's words). */
export type NativeSupport = { native: true } | { native: false; reason: string };

/**
 * A real venue account behind the live broker (ccxt): besides the `Broker` calls, what the
 * reconciler and the kill switch ask of it. Fills of resting orders arrive by `poll`, reported on
 * the execution stream once per venue trade id.
 */
export interface LiveVenue extends Broker, ExecutionStream {
  /** Looks up these open orders and reports their new fills and ends on the execution stream. */
  poll(refs: readonly BrokerOrderRef[]): Promise<void>;
  /** Free and locked balance per asset, as the venue reports it. */
  fetchBalances(): Promise<Map<string, { free: Dec; locked: Dec }>>;
  /** The venue's open orders (all symbols when none is given): client order id and symbol. */
  fetchOpenOrders(symbol?: string): Promise<BrokerOrder[]>;
  /** Open derivative positions (canonical symbol, side, size), where the venue has them. */
  fetchPositions?(): Promise<Array<{ symbol: string; side: 'long' | 'short'; quantity: Dec }>>;
  /** Whether the venue would take this request natively; sends nothing. Absent: every request is native. */
  nativeSupport?(req: BrokerOrderRequest): Promise<NativeSupport>;
  close?(): Promise<void>;
}

export function isLiveVenue(b: Broker): b is LiveVenue {
  return b.live && typeof (b as Partial<LiveVenue>).poll === 'function' && typeof (b as Partial<LiveVenue>).fetchBalances === 'function';
}
