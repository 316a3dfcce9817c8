// Domain events → notifications a trader can read at a glance: numbers first, then what happened,
// the symbol, and whether it was the paper or the live account. Alert titles and messages are the
// user's own labels — untrusted text, escaped by each channel when rendered.
import { and, desc, eq } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import { portfolios, trades } from '../../db/schema/index.js';
import { dec, toPlain } from '../../domain/money.js';
import type { Notification } from '../../domain/ports.js';
import type { MikeyEvent } from '../../services/events.js';

type Account = { mode: 'paper' | 'live'; name: string } | undefined;

async function accountOf(ex: Executor, portfolioId: string): Promise<Account> {
  const [p] = await ex.select({ mode: portfolios.tradingMode, name: portfolios.name }).from(portfolios).where(eq(portfolios.id, portfolioId));
  return p ? { mode: p.mode, name: p.name } : undefined;
}

const accountText = (a: Account): string => (a ? `${a.mode} account "${a.name}"` : 'your account');
const accountTag = (a: Account): string => (a ? ` (${a.mode})` : '');

function quoteOf(symbol: string): string {
  if (symbol.includes('/')) return symbol.split('/')[1] ?? '';
  return symbol.endsWith('-PERP') ? 'USDT' : '';
}

function plain(value: string): string {
  try {
    return toPlain(dec(value));
  } catch {
    return value.slice(0, 40);
  }
}

function times(a: string, b: string): string | undefined {
  try {
    return toPlain(dec(a).mul(dec(b)).toDecimalPlaces(2));
  } catch {
    return undefined;
  }
}

/** The notification for an event, or undefined for events nobody is pushed about. */
export async function notificationFor(ex: Executor, event: MikeyEvent): Promise<Notification | undefined> {
  switch (event.type) {
    case 'order.filled': {
      const account = await accountOf(ex, event.portfolioId);
      const qty = plain(event.quantity);
      const price = plain(event.price);
      const notional = times(event.quantity, event.price);
      const quote = quoteOf(event.symbol);
      const verb = event.side === 'sell' ? 'sold' : 'bought';
      return {
        userId: event.userId,
        kind: 'fill',
        title: `${qty} ${event.symbol} @ ${price} — ${event.side.toUpperCase()} filled${accountTag(account)}`,
        body: `${qty} ${event.symbol} ${verb} at ${price}${notional ? ` = ${notional}${quote ? ` ${quote}` : ''}` : ''} · ${event.orderType} order · ${accountText(account)}.`,
        data: { orderId: event.orderId, portfolioId: event.portfolioId, symbol: event.symbol },
      };
    }
    case 'alert.triggered':
      return {
        userId: event.userId,
        kind: 'alert',
        title: `🔔 ${event.symbol ? `${event.symbol}: ` : ''}${event.title}`,
        body: `${event.message}${event.severity && event.severity !== 'info' ? ` (severity: ${event.severity})` : ''}`,
        data: { alertId: event.alertId, ruleId: event.ruleId, symbol: event.symbol },
      };
    case 'risk.alert': {
      const account = await accountOf(ex, event.portfolioId);
      return {
        userId: event.userId,
        kind: 'risk',
        title: `⚠️ Risk alert (${event.severity})${accountTag(account)}`,
        body: `${event.message} — ${accountText(account)}.`,
        data: { portfolioId: event.portfolioId, severity: event.severity },
      };
    }
    case 'position.changed': {
      if (event.reason !== 'stop' && event.reason !== 'take_profit' && event.reason !== 'liquidation') return undefined;
      const account = await accountOf(ex, event.portfolioId);
      const [fill] = await ex
        .select({ quantity: trades.quantity, price: trades.price, side: trades.side, realizedPnl: trades.realizedPnl })
        .from(trades)
        .where(and(eq(trades.portfolioId, event.portfolioId), eq(trades.symbol, event.symbol)))
        .orderBy(desc(trades.executedAt))
        .limit(1);
      const what = { stop: '🛑 Stop-loss hit', take_profit: '🎯 Take-profit hit', liquidation: '💥 Liquidated' }[event.reason];
      const quote = quoteOf(event.symbol);
      const numbers = fill
        ? `${plain(fill.quantity)} ${event.symbol} closed at ${plain(fill.price)}${fill.realizedPnl !== null ? ` · realised P&L ${signed(fill.realizedPnl)}${quote ? ` ${quote}` : ''}` : ''}`
        : `${event.symbol} position closed`;
      return {
        userId: event.userId,
        kind: event.reason,
        title: `${what}: ${event.symbol}${accountTag(account)}`,
        body: `${numbers} · ${accountText(account)}.`,
        data: { portfolioId: event.portfolioId, symbol: event.symbol, reason: event.reason },
      };
    }
    default:
      return undefined;
  }
}

function signed(value: string): string {
  const p = plain(value);
  return p.startsWith('-') ? `−${p.slice(1)}` : `+${p}`;
}
