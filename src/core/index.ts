export { Member, type MemberOptions, type Phase } from './member.js';
export { type CoreConfig, DEFAULT_CONFIG, resolveConfig } from './config.js';
export { CoreErrorCodes, VsyncError, InvariantError } from './errors.js';
export type { CoreEvent, ExcludedReason, Outgoing, Ready } from './events.js';
export type { Frame, Body, FrameType, Decision, Accepted, Entry, FwdMsg } from './frames.js';
export type { MemberId, View } from './types.js';
