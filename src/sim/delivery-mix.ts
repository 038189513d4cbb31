import { KIND_AGREED, KIND_FIFO, KIND_SAFE, type KindCode } from '../core/delivery-kinds.js';

/** Shares (0..1, together at most 1) of the simulator's sends that ask for agreed and fifo delivery; the rest are safe. */
export interface DeliveryMix {
  agreed: number;
  fifo: number;
}

/**
 * The delivery kind of message `n` of member `id` in the run of `seed`. Drawn from a hash of the three, not from
 * the simulator's random streams, so a mix changes nothing else in a run (sweeps stay comparable seed by seed).
 */
export function simDeliveryKind(mix: DeliveryMix | undefined, seed: number, id: string, n: number): KindCode {
  if (mix === undefined || mix.agreed + mix.fifo <= 0) return KIND_SAFE;
  const u = fnv1a(`${seed}/${id}/${n}`) / 0x1_0000_0000;
  if (u < mix.agreed) return KIND_AGREED;
  return u < mix.agreed + mix.fifo ? KIND_FIFO : KIND_SAFE;
}

/** 32-bit FNV-1a: cheap and well spread enough to draw a share from. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Checks a mix given on the command line or in options: RangeError naming the problem. */
export function checkDeliveryMix(mix: DeliveryMix): DeliveryMix {
  for (const [k, v] of Object.entries(mix)) {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`the ${k} share is a fraction of the sends, 0..1, got ${v}`);
  }
  if (mix.agreed + mix.fifo > 1) throw new RangeError(`the agreed and fifo shares add up to more than 1 (${mix.agreed} + ${mix.fifo})`);
  return mix;
}
