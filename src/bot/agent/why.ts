// "Why did you buy SOL?" without a model: find the person's newest order that fits what they asked
// about (list-orders), explain it (explain-order), and answer in a few clean lines — what, when,
// from where, because of which words, how it was confirmed, the risk checks, the fills. Both calls go
// through the same in-process MCP client as every other tool call, with the person's identity.
import type { OrderMatch } from '../nlu/index.js';
import { personWordsOf } from '../../tools/trading/order-context.js';
import { personText, toolResultForPeople, withoutUntrustedMarks } from '../person-text.js';
import type { ToolRunner } from './confirmation.js';
import type { ToolOutcome } from './tool-results.js';
import { D } from '../../domain/money.js';
import { symbolAssets } from '../../domain/market.js';

/** The fields of an order view the answer reads (see OrderView in src/services/trading/rows.ts). */
interface OrderFacts {
  id: string;
  symbol: string;
  side: string;
  type: string;
  status: string;
  quantity: string;
  filledQuantity: string;
  averageFillPrice: string | null;
  fee: string;
  feeAsset: string | null;
  stopPrice: string | null;
  price: string | null;
  parentOrderId: string | null;
  exitRole: string | null;
  source: string | null;
  createdAt: string;
}

/** The fields of explain-order's structured result the answer reads (ExplainView). */
interface ExplainFacts {
  order: OrderFacts;
  riskChecks?: Array<{ name?: string; passed?: boolean }>;
  confirmation?: { method?: string; confirmedAt?: string | null };
  context?: { reason?: string } | null;
  timeline?: Array<{ action?: string; surface?: string | null }>;
}

/** Most orders looked through for the newest match. */
const LOOK_BACK = 200;

const SURFACE_NAMES: Record<string, string> = {
  terminal: 'the terminal',
  telegram: 'Telegram',
  discord: 'Discord',
  'mcp-stdio': 'an MCP client',
  'mcp-http': 'an MCP client',
  mcp: 'an MCP client',
  agent: 'the agent',
};

function isOrder(v: unknown): v is OrderFacts {
  const o = v as Partial<OrderFacts> | null;
  return !!o && typeof o.id === 'string' && typeof o.symbol === 'string' && typeof o.side === 'string';
}

function baseOf(symbol: string): string {
  return symbolAssets(symbol)?.base ?? symbol.toUpperCase();
}

function filled(o: OrderFacts): boolean {
  return Number(o.filledQuantity) > 0;
}

/** The newest order that fits every field of `match` (orders come newest first). */
/** Most portfolios a "why" question looks through. */
const MAX_PORTFOLIOS = 10;

export function newestMatch(orders: readonly OrderFacts[], match: OrderMatch): OrderFacts | undefined {
  const fits = orders.filter(
    (o) =>
      (!match.side || o.side === match.side) &&
      (!match.base || baseOf(o.symbol) === match.base.toUpperCase()) &&
      (!match.exitRole || o.exitRole === match.exitRole || o.type === match.exitRole) &&
      (!match.filled || filled(o)),
  );
  // A stop or target that "triggered" is one that filled; an untouched one only when none did.
  return match.exitRole ? (fits.find(filled) ?? fits[0]) : fits[0];
}

function describeMatch(match: OrderMatch): string {
  const role = match.exitRole === 'stop_loss' ? 'stop-loss ' : match.exitRole === 'take_profit' ? 'take-profit ' : '';
  return `${match.side ? `${match.side} ` : ''}${match.base ? `${match.base} ` : ''}${role}${match.filled ? 'trade' : 'order'}`;
}

function utc(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : 'at an unknown time';
}

/** One line of what the person wrote: no marks, no line breaks, bounded. */
function cleanWords(words: string): string {
  const one = withoutUntrustedMarks(words).replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 199)}…` : one;
}

function cause(e: ExplainFacts): string {
  const o = e.order;
  const reason = e.context?.reason;
  const words = personWordsOf(reason);
  if (words !== undefined) return `Because you wrote: “${cleanWords(words)}”.`;
  const stop = o.exitRole === 'stop_loss' || o.type === 'stop_loss';
  if (stop || o.exitRole === 'take_profit' || o.type === 'take_profit') {
    const kind = stop ? 'stop-loss' : 'take-profit';
    const at = o.stopPrice ?? 'its trigger';
    return filled(o)
      ? `Because the price reached your ${kind} at ${at}: MIKEY keeps this exit on your ${o.symbol} position.`
      : `It is the ${kind} MIKEY keeps on your ${o.symbol} position, at ${at}; it has not triggered.`;
  }
  if (o.exitRole === 'liquidation') return `Because your ${o.symbol} position was liquidated: the mark crossed its liquidation price.`;
  if (o.parentOrderId) return `Because it is one slice of your order ${o.parentOrderId.slice(0, 8)} (TWAP/VWAP), released on its schedule.`;
  if (reason) return `Reason given: ${cleanWords(personText(reason))}.`.replace(/\.\.$/, '.');
  return 'No reason was recorded with it.';
}

function confirmationLine(e: ExplainFacts): string {
  const c = e.confirmation;
  if (c?.method === 'token') return `You confirmed it on the trade card${c.confirmedAt ? ` at ${utc(c.confirmedAt).slice(11)}` : ''}.`;
  if (c?.method === 'auto') return 'Auto-confirmed: this paper portfolio skips the card.';
  return 'MIKEY placed it itself; no card was needed.';
}

function checksLine(e: ExplainFacts): string | undefined {
  const checks = e.riskChecks ?? [];
  if (checks.length === 0) return undefined;
  const failed = checks.filter((c) => c.passed === false).map((c) => c.name ?? 'unnamed');
  return failed.length === 0 ? `Risk checks: all ${checks.length} passed.` : `Risk checks: ${checks.length - failed.length} of ${checks.length} passed; failed: ${failed.join(', ')}.`;
}

function fillsLine(o: OrderFacts): string {
  if (!filled(o)) return `Now ${o.status.replace(/_/g, ' ')}; nothing filled.`;
  const fee = o.fee && D(o.fee).gt(0) ? ` (fee ${o.fee}${o.feeAsset ? ` ${o.feeAsset}` : ''})` : '';
  const all = o.filledQuantity === o.quantity || o.status === 'filled';
  return `${all ? 'Filled' : `Filled ${o.filledQuantity} of ${o.quantity}`}${all ? ` ${o.filledQuantity}` : ''} at ${o.averageFillPrice ?? '?'}${fee}; now ${o.status.replace(/_/g, ' ')}.`;
}

/** The answer to "why …?" from explain-order's structured result: a few short lines, numbers first. */
export function whyText(e: ExplainFacts): string {
  const o = e.order;
  const verb = o.side === 'buy' ? 'Bought' : 'Sold';
  const what = filled(o) ? `${verb} ${o.filledQuantity} ${o.symbol}` : `${o.side === 'buy' ? 'Buy' : 'Sell'} ${o.quantity} ${o.symbol}`;
  const surface = e.timeline?.find((t) => t.action === 'order.place')?.surface ?? o.source ?? undefined;
  const from = surface ? ` from ${SURFACE_NAMES[surface] ?? surface}` : '';
  return [
    `${what} (${o.type.replace(/_/g, ' ')}, order ${o.id.slice(0, 8)}), placed ${utc(o.createdAt)}${from}.`,
    cause(e),
    confirmationLine(e),
    checksLine(e),
    fillsLine(o),
  ]
    .filter((l): l is string => l !== undefined)
    .join('\n');
}

/** The clean answer of an explain-order call, or the tool's own text for people when it has no data. */
export function explainReply(outcome: ToolOutcome): string {
  const e = outcome.structured as ExplainFacts | undefined;
  if (outcome.isError || !e || !isOrder(e.order)) return toolResultForPeople(outcome);
  return whyText(e);
}

/** "why did you buy SOL?": the newest matching order of the person, explained. */
export async function explainLatest(runner: ToolRunner, match: OrderMatch): Promise<{ reply: string; calls: ToolOutcome[] }> {
  // Every portfolio of the person (paper and live), newest orders first across them.
  const portfolios = await runner.call('list-portfolios', {});
  // A paper shadow repeats its live portfolio's orders: the person asks about the live one.
  const ids = ((portfolios.structured?.['portfolios'] ?? []) as Array<{ id?: unknown; shadowOf?: unknown }>)
    .filter((p) => !p.shadowOf)
    .map((p) => p.id)
    .filter((id): id is string => typeof id === 'string')
    .slice(0, MAX_PORTFOLIOS);
  const lists = ids.length > 0 ? await Promise.all(ids.map((portfolioId) => runner.call('list-orders', { status: 'all', limit: LOOK_BACK, portfolioId }))) : [await runner.call('list-orders', { status: 'all', limit: LOOK_BACK })];
  const listed = lists.find((l) => l.isError) ?? lists[0]!;
  if (listed.isError) return { reply: toolResultForPeople(listed), calls: [listed] };
  const createdAt = (o: OrderFacts): string => {
    const at = (o as { createdAt?: unknown }).createdAt;
    return typeof at === 'string' ? at : '';
  };
  const orders = lists
    .flatMap((l) => ((l.structured as { orders?: unknown[] } | undefined)?.orders ?? []).filter(isOrder))
    .sort((a, b) => createdAt(b).localeCompare(createdAt(a)));
  const order = newestMatch(orders, match);
  if (!order) {
    const any = orders.length > 0;
    return {
      reply: `I found no ${describeMatch(match)} of yours${any ? ` among your last ${orders.length} orders` : ''}, so there is nothing to explain. “my orders” lists them; “explain order <id>” explains one.`,
      calls: lists,
    };
  }
  const explained = await runner.call('explain-order', { orderId: order.id });
  return { reply: explainReply(explained), calls: [...lists, explained] };
}
