// Trade-card buttons for chat surfaces (Telegram inline keyboards, Discord buttons). The server's
// confirmation token is opaque and may be longer than a button can carry (Telegram: 64 bytes of
// callback data), so a button carries a short random id that maps here to the token, the person the
// card was shown to, and whether it was answered.
//
// This is a second line of defence: the trading service itself refuses a foreign, reused or expired
// token. Here a press by anyone but the card's owner, a second press, or a press after expiry never
// even reaches the handler — and the surface can say exactly why.
import { randomBytes } from 'node:crypto';

export type ButtonAnswer = 'yes' | 'no';

export interface PendingConfirmation {
  id: string;
  token: string;
  /** Platform user id of the person the card was for. */
  ownerExternalId: string;
  /** MIKEY user id of that person. */
  userId: string;
  /** Where the card was shown. */
  chatId: string;
  expiresAt: Date;
  answeredWith?: ButtonAnswer;
}

export type ClaimResult =
  | { kind: 'ok'; pending: PendingConfirmation }
  /** Never issued here, or forgotten (restart, eviction): treat as expired. */
  | { kind: 'unknown' }
  | { kind: 'foreign'; pending: PendingConfirmation }
  | { kind: 'expired'; pending: PendingConfirmation }
  | { kind: 'answered'; pending: PendingConfirmation };

export interface ConfirmationButtonsOptions {
  now?: () => Date;
  /** Most cards remembered; the oldest are forgotten first. Default 10 000. */
  maxEntries?: number;
  /** How long an answered or expired card is remembered, to say "already answered". Default 1 h. */
  retainMs?: number;
}

const PREFIX = 'mk';

export class ConfirmationButtons {
  private readonly entries = new Map<string, PendingConfirmation>();
  private readonly now: () => Date;
  private readonly maxEntries: number;
  private readonly retainMs: number;

  constructor(opts: ConfirmationButtonsOptions = {}) {
    this.now = opts.now ?? (() => new Date());
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.retainMs = opts.retainMs ?? 3_600_000;
  }

  /** Remembers a card and returns its short id (12 URL-safe characters). */
  register(input: Omit<PendingConfirmation, 'id' | 'answeredWith'>): PendingConfirmation {
    this.evict();
    const id = randomBytes(9).toString('base64url');
    const pending: PendingConfirmation = { ...input, id };
    this.entries.set(id, pending);
    return pending;
  }

  /**
   * Claims a card for an answer. Succeeds once, only for the owner, only before expiry; the claim is
   * recorded synchronously, so two presses racing each other cannot both succeed.
   */
  claim(id: string, externalUserId: string, answer: ButtonAnswer): ClaimResult {
    const pending = this.entries.get(id);
    if (!pending) return { kind: 'unknown' };
    if (pending.ownerExternalId !== externalUserId) return { kind: 'foreign', pending };
    if (pending.answeredWith) return { kind: 'answered', pending };
    if (pending.expiresAt.getTime() <= this.now().getTime()) return { kind: 'expired', pending };
    pending.answeredWith = answer;
    return { kind: 'ok', pending };
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    const cutoff = this.now().getTime() - this.retainMs;
    for (const [id, p] of this.entries) {
      if (p.expiresAt.getTime() < cutoff) this.entries.delete(id);
    }
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

/** Button payload: `mk:<id>:y` or `mk:<id>:n` (18 bytes, well inside Telegram's 64). */
export function encodeButtonData(id: string, answer: ButtonAnswer): string {
  return `${PREFIX}:${id}:${answer === 'yes' ? 'y' : 'n'}`;
}

export function decodeButtonData(data: string | undefined): { id: string; answer: ButtonAnswer } | undefined {
  if (!data) return undefined;
  const m = /^mk:([A-Za-z0-9_-]{1,32}):([yn])$/.exec(data);
  if (!m) return undefined;
  return { id: m[1]!, answer: m[2] === 'y' ? 'yes' : 'no' };
}
