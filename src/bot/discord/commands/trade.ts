// /trade side symbol size [type] [price] — private and trading: answered ephemerally with the trade
// card and its buttons; nothing executes until the person who asked presses ✅ Confirm. In a server
// with DISCORD_TRADER_ROLE set, only members with that role may use it.
import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { DiscordDeps } from '../context.js';
import { answerThroughHandler } from '../respond.js';
import { checkAmount, checkPrice, symbolArg, symbolOption, type Checked } from './options.js';

export const data = new SlashCommandBuilder()
  .setName('trade')
  .setDescription('Buy or sell (you confirm a trade card first; paper unless your account is live)')
  .addStringOption((o) => o.setName('side').setDescription('Buy or sell').setRequired(true).addChoices({ name: 'buy', value: 'buy' }, { name: 'sell', value: 'sell' }))
  .addStringOption(symbolOption)
  .addStringOption((o) => o.setName('size').setDescription('Amount of the coin (0.5) or of dollars ($100)').setRequired(true).setMaxLength(32))
  .addStringOption((o) =>
    o
      .setName('type')
      .setDescription('Order type (default market)')
      .setRequired(false)
      .addChoices({ name: 'market', value: 'market' }, { name: 'limit', value: 'limit' }, { name: 'stop', value: 'stop' }),
  )
  .addStringOption((o) => o.setName('price').setDescription('Limit or stop price').setRequired(false).setMaxLength(32));

/** The order as the phrase the understanding reads: "buy 0.5 SOL", "buy $100 of SOL", "sell 1 ETH limit 4000". */
export function tradeText(side: string, symbol: Checked, size: Checked, type: string, price: Checked | undefined): Checked {
  if (side !== 'buy' && side !== 'sell') return { error: 'Side must be buy or sell.' };
  if (typeof symbol !== 'string') return symbol;
  if (typeof size !== 'string') return size;
  if (price !== undefined && typeof price !== 'string') return price;
  if (type !== 'market' && type !== 'limit' && type !== 'stop') return { error: 'Type must be market, limit or stop.' };
  if (type !== 'market' && price === undefined) return { error: `A ${type} order needs a price.` };
  if (type === 'market' && price !== undefined) return { error: 'A market order takes no price; choose type limit or stop to set one.' };
  const amount = size.startsWith('$') ? `${size} of ${symbol}` : `${size} ${symbol}`;
  return `${side} ${amount}${type === 'market' ? '' : ` ${type} ${price}`}`;
}

export async function execute(interaction: ChatInputCommandInteraction, deps: DiscordDeps): Promise<void> {
  const rawPrice = interaction.options.getString('price');
  const text = tradeText(
    interaction.options.getString('side', true),
    symbolArg(interaction),
    checkAmount(interaction.options.getString('size', true), 'Size'),
    interaction.options.getString('type') ?? 'market',
    rawPrice === null ? undefined : checkPrice(rawPrice),
  );
  await answerThroughHandler(interaction, deps, { access: 'private', trading: true, text });
}
