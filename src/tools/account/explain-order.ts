import { z } from 'zod';
import { defineTool, READ_ONLY, untrusted } from '../../mcp/tool.js';
import { explainOrderShape } from '../../services/trading/schemas.js';
import { shortAddress } from '../../domain/wallets/address.js';
import type { AgentDecisionView } from '../../services/bots/agent-explain.js';
import type { WhaleMoveView } from '../../services/trading/trading-service.js';
import { cardText, orderLine } from '../format.js';

/** The agent decision behind a bot's order; the bot name and the reasoning (model or rules text) marked for the model. */
function agentLine(d: AgentDecisionView): string {
  const bot = d.bot ? untrusted('bot name', d.bot) : 'of a bot';
  const by = d.source === 'model' ? 'the model' : 'the rules';
  return `Agent ${bot} decided ${d.direction} (confidence ${d.confidence}, by ${by}): ${untrusted('agent reasoning', d.reasoning)}`;
}

/** The whale move behind a bot's order, its bot name and wallet label (user text) marked for the model. */
function whaleLine(s: WhaleMoveView): string {
  const bot = s.bot ? `bot ${untrusted('bot name', s.bot)}` : 'a bot';
  const address = s.address ? shortAddress(s.address) : null;
  const who = s.label ? `${untrusted('wallet label', s.label)}${address ? ` (${address})` : ''}` : (address ?? 'an unknown wallet');
  return `Placed by ${bot} on a whale move: ${who} ${s.detail}.`;
}

export const explainOrder = defineTool({
  name: 'explain-order',
  title: 'Explain order',
  description:
    'Why and how an order happened — "why did you buy ETH?": the request and its stated reason, the trade card, each risk check, how it was confirmed, the fills, the resulting position, and the audit timeline with trace ids. Example: {"orderId":"…"}.',
  permission: 'read:portfolio',
  input: explainOrderShape,
  output: {
    order: z.object({ id: z.string() }).passthrough().describe('The order'),
    summary: z.string().describe('One-paragraph explanation'),
    riskChecks: z.array(z.object({}).passthrough()).describe('Risk checks at placement'),
    timeline: z.array(z.object({ at: z.string(), action: z.string() }).passthrough()).describe('Audit trail, oldest first'),
  },
  annotations: READ_ONLY,
  async run(ctx, args) {
    const e = await ctx.services.trading.explainOrder(ctx.actor, args.orderId);
    const reason = e.context?.reason ? `Stated reason: ${untrusted('user note', e.context.reason)}` : undefined;
    // The stated reason is user/model text: shown only marked, never inside the plain summary.
    const summary = e.context?.reason ? e.summary.replace(` because: ${e.context.reason}`, ' (stated reason below)') : e.summary;
    const text = [
      orderLine(e.order),
      summary,
      ...(e.signal ? [whaleLine(e.signal)] : []),
      ...(e.agentDecision ? [agentLine(e.agentDecision)] : []),
      ...(reason ? [reason] : []),
      ...(e.card ? [cardText(e.card)] : []),
      `Confirmed by: ${e.confirmation.method}${e.confirmation.confirmedAt ? ` at ${e.confirmation.confirmedAt}` : ''}`,
      'Timeline:',
      ...e.timeline.map((t) => `  ${t.at.slice(0, 19).replace('T', ' ')} ${t.action} by ${t.actor}${t.surface ? ` via ${t.surface}` : ''} (trace ${t.traceId.slice(0, 8)})`),
    ].join('\n');
    return { text, data: e as never };
  },
});
