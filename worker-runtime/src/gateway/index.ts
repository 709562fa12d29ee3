/** The OpenAI-compatible client gateway (`chrysalis client serve`, `createGateway()`). See docs/client.md. */
export { createGateway } from './server';
export type { Gateway, GatewayOptions } from './server';
export { GatewayError, toGatewayError } from './errors';
export { ProxyPool } from './pool';
export { discoverProxies } from './discover';
export type { DiscoveredProxy } from './discover';
