export * from './chain';
export * from './sandboxChain';
export * from './tonChain';
export * from './eventDecoder';
export * from './eventWatcher';
export * from './contracts';
export * from './registryView';
