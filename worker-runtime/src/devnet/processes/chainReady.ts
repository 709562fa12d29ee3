/** What the chain process prints once its TON API serves the deployed devnet (read by the orchestrator). */
import type { DevnetAddresses } from '../view';

export const CHAIN_READY_MARK = 'chrysalis-devnet-chain-ready';

export interface ChainReady {
    /** The TON API's JSON-RPC endpoint (CHRYSALIS_TON_ENDPOINT; blueprint's --custom). */
    url: string;
    /** Its base URL: the faucet and the clock are under /admin/. */
    baseUrl: string;
    addresses: DevnetAddresses;
}

/** The ready line's payload, or null when `line` is another line. */
export function parseChainReady(line: string): ChainReady | null {
    const at = line.indexOf(CHAIN_READY_MARK);
    if (at < 0) return null;
    return JSON.parse(line.slice(at + CHAIN_READY_MARK.length)) as ChainReady;
}
