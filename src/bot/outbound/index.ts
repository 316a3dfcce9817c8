// The rate-limited outbound sender shared by replies and pushes.
export { manualSenderClock, scaledSenderClock, systemSenderClock, type ManualSenderClock, type SenderClock } from './clock.js';
export {
  DISCORD_LIMITS, OutboundSender, PermanentReason, TELEGRAM_LIMITS,
  type Delivery, type DeliveryFailure, type ErrorClassifier, type OutboundLimits, type OutboundSenderOptions, type OutboundStats,
  type SendErrorClass, type SendTarget,
} from './outbound-sender.js';
export { classifyTelegramError, telegramErrorCode, telegramErrorDescription } from './telegram-errors.js';
export { classifyDiscordError } from './discord-errors.js';
export { minimumDeliveryMs } from './minimum.js';
