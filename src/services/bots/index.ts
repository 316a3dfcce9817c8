// Bots: the service that creates and controls them, and the runner that trades for them.
export { BotService, botView, createBotShape, approveBotShape, botIdShape, type BotCard, type BotDetail, type BotView, type BotServiceDeps, type CreateBotInput } from './bot-service.js';
export { BotRunner, type BotRunnerDeps, type BotRunSummary } from './bot-runner.js';
export { BOT_CANDLES_PER_RUN, BOT_HISTORY_CANDLES } from './bot-config.js';
export { checkRoundTrip, decodeState, encodeState, StateCodecError } from './state-codec.js';
