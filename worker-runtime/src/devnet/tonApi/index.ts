export { startTonApi, parseTon } from './server';
export type { TonApi, TonApiOptions } from './server';
export { ChainClock } from './clock';
export { Faucet, FaucetError, FAUCET_MAX } from './faucet';
export type { Funding } from './faucet';
export { TransactionHistory, TransactionNotFoundError } from './history';
export { METHODS, TonApiError } from './methods';
export { TonApiParamError } from './format';
