// The offline understanding of trader messages: `understand(text)` → an Intent (a tool call of
// docs/tools.md, a reply, a confirmation answer, a link code, or "I didn't get that").
export { understand, UNDERSTOOD_TOOLS } from './understand.js';
export {
  ConfirmAnswer, Effect, IntentKind, TOOL_EFFECT, TOOL_NAMES,
  type ConfirmIntent, type ExplainIntent, type Intent, type KnownWallet, type OrderMatch, type LinkIntent, type ReplyIntent, type ToolIntent, type ToolName, type UnderstandContext, type UnknownIntent,
} from './intent.js';
export { PHRASEBOOK, type Phrase } from './phrasebook.js';
