// The conversational brain every chat surface calls: `createBrain(config, services, options)` →
// `brain.runTurn({ userText })`. See brain.ts for how the agent or the offline brain is chosen.
export { createBrain, BrainChoice, countingFetch, type BrainOptions } from './brain.js';
export { ChatAgent, DEFAULT_AGENT_SETTINGS, type AgentDeps, type AgentSettings, type AttemptCounter } from './agent.js';
export { OfflineBrain, type OfflineBrainDeps } from './offline.js';
export { Confirmations, ToolRunner, REFUSAL, DEFAULT_CONFIRMATION_TTL_MS, confirmPrompt } from './confirmation.js';
export { ConversationStore, windowHistory, isUserTextMessage, type ConversationRef } from './history.js';
export { costOf, costString, priceOf, MODEL_PRICES, type TokenCounts } from './pricing.js';
export { DEFAULT_RETRY, isRetryable, retryAfterMs, retryDelayMs, withRetries, type RetryPolicy, type Sleep } from './retry.js';
export { systemPrompt } from './prompt.js';
export { toAnthropicTools, toToolResultBlock, findConfirmationToken, readCallResult, type ToolOutcome, type McpTool } from './tool-results.js';
export {
  BrainMode, ConfirmableTool,
  type Brain, type ChatMessage, type PendingConfirmation, type ToolCallRecord, type TurnImage, type TurnInput, type TurnResult, type TurnUsage,
} from './types.js';
export { createChatHandler, toChatReply, PUBLIC_TOOLS, type BrainChatHandler, type ChatHandlerOptions } from './chat-handler.js';
