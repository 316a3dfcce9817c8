// One process (the embedded database): every lease is held without a table, no event bridge; and the
// event bus's identity rules that the bridge between instances relies on.
import { describe, expect, it } from 'vitest';
import { LeaseJob } from '../src/services/cluster/leases.js';
import { encodeEnvelope, decodeEnvelope } from '../src/services/cluster/event-bridge.js';
import { EventBus, type EventEnvelope } from '../src/services/events.js';
import { createTestApp } from './support/app.js';
import { testDbKind } from './support/db.js';

describe.skipIf(testDbKind !== 'pglite')('one instance on the embedded database', () => {
  it('holds every lease from the start, relays nothing, and holds nothing once closed', async () => {
    const app = await createTestApp();
    let open = true;
    try {
      for (const j of Object.values(LeaseJob)) expect(app.cluster.leases.holds(j), j).toBe(true);
      await app.startBackground();
      const st = app.cluster.status();
      expect(st.leases.mode).toBe('embedded');
      expect(st.leases.connected).toBe(true);
      expect(st.events, 'no LISTEN/NOTIFY on PGlite').toBeUndefined();
      await app.close();
      open = false;
      expect(app.cluster.leases.holds(LeaseJob.tradingTick)).toBe(false);
    } finally {
      if (open) await app.close();
    }
  });
});

describe('event identity', () => {
  it('delivers a relayed event once, never its own, and marks where it came from', () => {
    const a = new EventBus(undefined, { origin: 'a' });
    const b = new EventBus(undefined, { origin: 'b' });
    const wire: EventEnvelope[] = [];
    a.relay((e) => wire.push(e));
    const seenB: Array<{ type: string; local: boolean; origin: string }> = [];
    b.on((e, m) => void seenB.push({ type: e.type, local: m.local, origin: m.origin }));
    const seenA: string[] = [];
    a.on((e) => void seenA.push(e.type));
    a.emit({ type: 'balance.changed', userId: 'u', portfolioId: 'p' });
    expect(wire).toHaveLength(1);
    const payload = decodeEnvelope(encodeEnvelope(wire[0]!)!)!;
    expect(b.receive(payload)).toBe(true);
    expect(b.receive(payload), 'a repeat').toBe(false);
    expect(a.receive(payload), 'its own').toBe(false);
    expect(seenB).toEqual([{ type: 'balance.changed', local: false, origin: 'a' }]);
    expect(seenA).toEqual(['balance.changed']);
    expect(decodeEnvelope('{"id":1}')).toBeUndefined();
    expect(decodeEnvelope('not json')).toBeUndefined();
  });
});
