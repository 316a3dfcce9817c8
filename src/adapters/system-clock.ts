// The real clock: the one place wall-clock time enters MIKEY. Everything else receives a `Clock`.
import type { Clock } from '../domain/ports.js';

export const systemClock: Clock = { now: () => new Date() };
