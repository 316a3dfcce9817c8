// The one interface every chat surface (terminal, Telegram, Discord) calls: a Brain runs one turn
// for one person in one chat. The model-backed agent and the offline understanding both implement it.
import type { AssistantMessageParam, UserMessageParam } from '@anthropic-ai/sdk/resources/messages';

/** A conversation message in Anthropic Messages format (what is stored in `conversation_messages`). */
export type ChatMessage = UserMessageParam | AssistantMessageParam;

export const BrainMode = { agent: 'agent', offline: 'offline' } as const;
export type BrainMode = (typeof BrainMode)[keyof typeof BrainMode];

export interface TurnInput {
  /** What the person wrote (or "yes"/"no" when they pressed a confirmation button). */
  userText: string;
  /**
   * Earlier messages, when the surface keeps history itself. Omitted: the brain loads the
   * conversation from the database (or its own memory when persistence is off).
   */
  history?: ChatMessage[];
  /**
   * The token of the trade card a button press answers. When given, a "yes" executes only if it is
   * the token of the card still pending — an old button can never confirm a newer card.
   */
  confirmationToken?: string;
  /** The platform's id of the person's message, kept with an order it leads to. */
  messageId?: string;
  /**
   * Called with the answer so far while the model writes it — the whole text each time, never a
   * delta (see TurnOptions in src/bot/chat-types.ts). Text written before a tool round is replaced by
   * the text after it. Without it the model is called without streaming.
   */
  onPartial?: (textSoFar: string) => void;
}

/**
 * The tools that only run on a confirmation: those that move money, and the start of a paper bot
 * (its standing approval of the card's limits).
 */
export const ConfirmableTool = { placeOrder: 'place-order', closePosition: 'close-position', closeAllPositions: 'close-all-positions', startBot: 'start-bot' } as const;
export type ConfirmableTool = (typeof ConfirmableTool)[keyof typeof ConfirmableTool];

/** A card waiting for the person's yes or no: a trade card, or a bot card to approve. */
export interface PendingConfirmation {
  /**
   * A trade card's single-use, expiring token from the server, bound to exactly these arguments. A
   * bot card's is made here: it only ties a button to the card (start-bot takes approve: true).
   */
  token: string;
  /** What runs on "yes": the tool and its exact arguments (the token is added then). */
  tool: ConfirmableTool;
  args: Record<string, unknown>;
  /** The trade card as the server wrote it: show it above the Confirm / Cancel buttons. */
  card: string;
  /** One line for a button caption or a log. */
  summary: string;
  /** When the token stops being valid. */
  expiresAt: Date;
  /** What led to the card: the person's message (and its platform id), stored with the order as its reason. */
  requestedBy?: CardRequest;
}

/** The person's message that asked for a trade card. */
export interface CardRequest {
  words: string;
  messageId?: string;
}

export interface ToolCallRecord {
  name: string;
  args: Record<string, unknown>;
  isError: boolean;
  /** Set when MIKEY refused to run the call (e.g. an unconfirmed place-order); the tool never ran. */
  refused?: string;
  /** Text of the result (or of the refusal), as a person would read it. */
  text: string;
  ms: number;
}

export interface TurnImage {
  /** PNG bytes, ready to upload to a chat. */
  data: Uint8Array;
  mimeType: string;
  /** The tool that produced it (get-chart). */
  tool: string;
}

export interface TurnUsage {
  model: string;
  modelCalls: number;
  /** HTTP attempts that were retried (429 / 529 / 5xx), by the SDK or by MIKEY. */
  retries: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** USD, decimal string. */
  cost: string;
}

export interface TurnResult {
  mode: BrainMode;
  /** The text to send. */
  reply: string;
  toolCalls: ToolCallRecord[];
  /** Images to send with the reply (charts). */
  images: TurnImage[];
  /** Set when this turn produced a trade card: show it with Confirm / Cancel (or ask for yes / no). */
  pendingConfirmation?: PendingConfirmation;
  /** "link CODE": the surface redeems the code for the sender's platform identity. */
  link?: { code: string };
  /** The messages this turn added to the conversation, user message first. */
  messages: ChatMessage[];
  /** Model usage of the turn (agent mode). */
  usage?: TurnUsage;
}

export interface Brain {
  readonly mode: BrainMode;
  /** Runs one turn. Turns of one brain run one at a time, in call order. */
  runTurn(input: TurnInput): Promise<TurnResult>;
  /** The trade card waiting for an answer, if any. */
  pending(): PendingConfirmation | undefined;
  close(): Promise<void>;
}
