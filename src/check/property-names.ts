/**
 * Stable property names, in the order reports list them. Format problems come first because they usually
 * explain whatever else a broken trace appears to violate.
 */
export const PROPERTIES = [
  'trace-wellformed',
  'self-inclusion',
  'local-monotonicity',
  'view-agreement',
  'primary-component',
  'delivery-integrity',
  'no-duplication',
  'sending-view-delivery',
  'same-view-delivery',
  'virtual-synchrony',
  'uniform-delivery',
  'total-order',
  'reliable-fifo',
  'self-delivery',
  'state-agreement',
  'liveness',
] as const;

export type PropertyName = (typeof PROPERTIES)[number];
