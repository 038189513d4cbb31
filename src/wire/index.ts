/** The wire format: frames to and from protobuf bytes. Schema: proto/vsync.proto; generated code: ./gen/. */
export { WIRE_VERSION, encodeFrame, decodeFrame } from './codec.js';
export type { DecodedFrame } from './codec.js';
