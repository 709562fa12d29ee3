export * from '../build/ClientAccount/ClientAccount_ClientAccount';

/** ClientAccount states as stored on chain. */
export const ClientState = { new: 0n, active: 1n, closing: 2n, closed: 3n } as const;
