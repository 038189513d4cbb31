/**
 * Node-to-node transport over websockets: one server per node, one authenticated link per peer node shared by all
 * groups. Frames are opaque bytes here (src/wire/ encodes them).
 */
export { Transport, MAX_PENDING_HANDSHAKES } from './transport.js';
export type { TransportEvents, TransportStats } from './transport.js';
export type { TransportOptions, TlsOptions } from './options.js';
export { CloseCode } from './peer-link.js';
