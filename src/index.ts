/**
 * vsync: virtual-synchrony group communication for Node.js.
 * The one public entry point; everything a user needs is exported from here.
 */
export { Node, type Group } from './api/public.js';
export type { NodeOptions, JoinOptions, CloseOptions } from './api/node.js';
export { type GroupEvents, type GroupOptions, type Message, type RecoveredInfo, type SendOptions, type SendResult, type StateHooks, type ViewInfo } from './api/group.js';
export type { RecoverResult } from './api/recover.js';
export type { DeliveryKind } from './core/delivery-kinds.js';
export type { NodeStats, GroupStats, GroupRates, ViewMemberStats, ViewRecord, PeerStats, TransportStats, RateSample } from './api/stats.js';
export type { HttpOptions } from './ops/http-server.js';
export { HashChain } from './rsm/hash-chain.js';
export { ReplicatedStateMachine, type StateMachine, type RsmOptions } from './rsm/replicated-state-machine.js';
export { ClientEndpoint, type ClientEndpointOptions } from './rsm/client-endpoint.js';
export { RsmClient, type RsmClientOptions } from './rsm/rsm-client.js';
export { KvStore, type KvStoreOptions, type KvCommand } from './rsm/kv-store.js';
export { parseClientTokens, readClientTokens } from './rsm/client-tokens.js';
export { ErrorCodes, type ErrorCode, VsyncError, InvariantError } from './errors.js';
// Only what the options and events above mention: the core's classes, frames and events are not part of the API.
export { type CoreConfig, DEFAULT_CONFIG, type MemberId } from './core/index.js';
export { checkTraces, checkTraceDir, formatReport, type CheckReport, PROPERTIES } from './check/index.js';
export { runSimulation, type SimResult } from './sim/run-sim.js';
export { defaultSimOptions, type SimOptions, FAULT_KINDS, type FaultKind } from './sim/options.js';
