// Output shapes and texts shared by the tools that place or close orders.
import { z } from 'zod';
import { untrusted } from '../../mcp/tool.js';
import { AppError, ErrorCode, isAppError } from '../../services/errors.js';
import { isCloseAllCard, type CardView, type CloseAllCardView } from '../../services/trading/rows.js';
import type { PlaceResult } from '../../services/trading/trading-service.js';
import { cardText, closeAllCardText, orderLine } from '../format.js';

const looseObject = z.object({}).passthrough();

export const placeResultOutput = {
  order: z.object({ id: z.string(), status: z.string(), symbol: z.string(), side: z.string() }).passthrough().describe('The order as stored'),
  fills: z.array(looseObject).describe('Fills of this order so far'),
  card: looseObject.nullable().describe('The trade card the order was confirmed with'),
  replayed: z.boolean().describe('True when the same clientOrderId was sent before: the first order is returned, nothing new placed'),
  outcomeUnknown: z.boolean().describe('True while the venue has not answered; MIKEY settles it by lookup, never by resubmitting'),
  message: z.string().describe('What happened, in one sentence'),
};

export function placeResultText(r: PlaceResult): string {
  const lines = [r.message, orderLine(r.order)];
  if (r.order.rejectReason) lines.push(`Reason: ${untrusted('venue', r.order.rejectReason)}`);
  if (r.replayed) lines.push('This repeats an earlier request with the same clientOrderId: no new order was placed.');
  if (r.outcomeUnknown) lines.push('The venue did not answer in time; the order will be settled by lookup. Do not resend it.');
  return lines.join('\n');
}

/**
 * A confirmation-required refusal reworded for people and models: the card, the token and what to
 * do. The structured details (card, confirmationToken, expiresAt) stay attached.
 */
export function explainConfirmation(err: unknown, tool: string): never {
  if (isAppError(err) && err.code === ErrorCode.confirmationRequired && err.details) {
    const d = err.details as { card?: CardView | CloseAllCardView; confirmationToken?: string; expiresAt?: string; refusal?: string };
    if (d.card && d.confirmationToken) {
      const card = isCloseAllCard(d.card) ? closeAllCardText(d.card) : cardText(d.card);
      throw new AppError(
        ErrorCode.confirmationRequired,
        // The hint is appended to the last line, so the card ends before it and stays whole on every surface.
        `Confirmation required before this executes${d.refusal ? ` (${d.refusal})` : ''}.\n${card}\nNothing has been executed yet`,
        `show this card to the person; only after they agree, call ${tool} again with the same arguments and confirmationToken "${d.confirmationToken}" (valid until ${d.expiresAt ?? 'soon'})`,
        err.details,
      );
    }
  }
  throw err;
}
