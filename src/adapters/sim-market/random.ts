// Deterministic randomness for the simulated market: string/integer hashing into 32-bit seeds, a
// small fast generator (mulberry32) and normal draws. Nothing here reads Math.random or the clock.

/** FNV-1a of a string, 32 bits. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finaliser: a good 32-bit avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Mixes integers (any sign, |x| < 2^53) into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    const lo = part | 0;
    const hi = Math.floor(part / 4294967296) | 0;
    h = fmix32(Math.imul(h ^ lo, 0x27d4eb2f) ^ hi ^ (h >>> 15));
  }
  return h;
}

/** A uniform in [0, 1) determined by the integers given. */
export function hashUniform(...parts: number[]): number {
  return mixSeed(...parts) / 4294967296;
}

/** A standard normal determined by the integers given (Box–Muller on two hashed uniforms). */
export function hashNormal(...parts: number[]): number {
  const u1 = (mixSeed(...parts, 1) + 1) / 4294967297;
  const u2 = mixSeed(...parts, 2) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** mulberry32: a 32-bit generator, plenty for simulation; `normal` draws standard normals. */
export class Random {
  #state: number;
  #spare = 0;
  #hasSpare = false;

  constructor(seed: number) {
    this.#state = seed | 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.#state ^ (this.#state >>> 15), 1 | this.#state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal (Marsaglia's polar method, both values used: no sin/cos). */
  normal(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.#spare = v * factor;
    this.#hasSpare = true;
    return u * factor;
  }
}

/** Smooth noise over a real axis: normals at integer knots, cosine-interpolated between them. */
export function valueNoise(x: number, ...key: number[]): number {
  const k = Math.floor(x);
  const f = x - k;
  const w = (1 - Math.cos(Math.PI * f)) / 2;
  const a = hashNormal(...key, k);
  const b = hashNormal(...key, k + 1);
  // Interpolating two independent normals shrinks the variance mid-way; rescale to keep it 1.
  return (a * (1 - w) + b * w) / Math.sqrt((1 - w) * (1 - w) + w * w);
}
