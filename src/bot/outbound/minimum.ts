// The least time the limits allow for a workload: the reference the sender's delivery time is
// measured against. Each limit alone gives a lower bound on when the last message can start; the
// workload cannot finish sooner than the largest of them.
import type { OutboundLimits } from './outbound-sender.js';

export interface WorkloadChat {
  messages: number;
  group?: boolean;
}

/** Milliseconds from the first message's start to the last message's start, at the limits. */
export function minimumDeliveryMs(chats: readonly WorkloadChat[], limits: OutboundLimits): number {
  const total = chats.reduce((s, c) => s + c.messages, 0);
  if (total === 0) return 0;
  let bound = Math.floor((total - 1) / limits.globalPerSecond) * 1000;
  for (const c of chats) {
    if (c.messages === 0) continue;
    const k = c.messages - 1;
    let chatBound = k * limits.perChatIntervalMs;
    if (c.group) {
      const n = limits.perGroupPerMinute;
      chatBound = Math.max(chatBound, Math.floor(k / n) * 60_000 + (k % n) * limits.perChatIntervalMs);
    }
    bound = Math.max(bound, chatBound);
  }
  return bound;
}
