import { Address, beginCell, Cell, OpenedContract, Transaction } from '@ton/core';
import type { ChainableCommander, Redis } from 'ioredis';
import { loadNetworkParams, NetworkParams, Registry, storeNetworkParams } from '../../../wrappers/Registry';
import type { ModelRegistry } from '../inference/registry';
import { RedisKeys } from '../protocol/keys';
import type { RegistryView as AttestationRegistryView } from '../tee/policy';
import { Chain } from './chain';
import { RegistryList, watchedRegistry } from './contracts';
import { ChainEvent, EventHandler, EventWatcher, WatchedContract } from './eventWatcher';

/**
 * An in-memory copy of the registry's state that the attestation policy, the model loader and the roles read
 * synchronously: network params, worker/proxy image allow-lists, models and proxies.
 *
 * It is fed by the {@link EventWatcher}: each registry event is staged as Redis writes in the same MULTI/EXEC that
 * moves the watcher's cursor, so the persisted view and the cursor never disagree, and a restart reloads the view
 * from Redis and resumes from the cursor. With no cursor yet, the view is bootstrapped from the registry's getters
 * and the cursor is set to the registry's last transaction in one MULTI.
 *
 * Redis layout: one hash `<prefix>:registry-view:{<prefix>}` (RedisKeys.registryView) with fields `params` (NetworkParams cell, base64 BOC), `paused`,
 * `wi:<hex>` / `pi:<hex>` (allowed worker / proxy images), `m:<hex>` (models: JSON {name, kind}, `{}` until the
 * details are read) and `p:<id>` (proxies: JSON {endpoint, publicKey, proxyAddress}, `{}` until read). Events carry
 * only the key of a list entry, so names, kinds and proxy keys are read from the getters right after the commit
 * (derived data: a crash in between is repaired at the next load).
 */

export interface ModelEntry {
    name: string;
    kind: number;
}

export interface ProxyEntry {
    proxyId: number;
    endpoint: string;
    /** Ed25519 key, 64 hex characters. */
    publicKey: string;
    proxyAddress: string;
}

export interface RegistryViewOptions {
    chain: Chain;
    redis: Redis;
    registry: Address;
    /** Key prefix, e.g. `chrysalis`; the view and the watcher cursors live under it. */
    prefix: string;
    /** More contracts for the same watcher (e.g. worker stakes, a proxy) and handlers for their events. */
    contracts?: WatchedContract[];
    handlers?: EventHandler[];
    onCommitted?: (events: ChainEvent[]) => void;
    /** Test hook passed to the watcher: throwing simulates a crash between fetch and commit. */
    beforeCommit?: (tx: Transaction) => void | Promise<void>;
    pollIntervalMs?: number;
}

interface State {
    params: NetworkParams | null;
    paused: boolean;
    workerImages: Set<bigint>;
    proxyImages: Set<bigint>;
    models: Map<bigint, ModelEntry | null>;
    proxies: Map<number, ProxyEntry | null>;
}

function emptyState(): State {
    return {
        params: null,
        paused: false,
        workerImages: new Set(),
        proxyImages: new Set(),
        models: new Map(),
        proxies: new Map(),
    };
}

const hex256 = (v: bigint) => v.toString(16).padStart(64, '0');

export class RegistryView implements AttestationRegistryView, ModelRegistry {
    readonly watcher: EventWatcher;
    private state: State = emptyState();
    private readonly key: string;
    private readonly registry: OpenedContract<Registry>;

    private constructor(private readonly options: RegistryViewOptions) {
        this.key = RedisKeys.registryView(options.prefix);
        this.registry = options.chain.open(Registry.fromAddress(options.registry));
        this.watcher = new EventWatcher({
            chain: options.chain,
            redis: options.redis,
            keyPrefix: RedisKeys.watcher(options.prefix),
            contracts: [watchedRegistry(options.registry), ...(options.contracts ?? [])],
            handlers: [(event, multi) => this.stage(event, multi), ...(options.handlers ?? [])],
            onCommitted: (events) => {
                this.applyCommitted(events);
                options.onCommitted?.(events);
            },
            beforeCommit: options.beforeCommit,
            pollIntervalMs: options.pollIntervalMs,
        });
    }

    /** Loads the view from Redis (or bootstraps it from the getters) and catches up with the chain once. */
    static async open(options: RegistryViewOptions): Promise<RegistryView> {
        const view = new RegistryView(options);
        await view.load();
        await view.sync();
        return view;
    }

    /** Applies every new event (one poll of the watcher) and fills in missing model/proxy details. */
    async sync(): Promise<number> {
        const handled = await this.watcher.pollOnce();
        await this.fillDetails();
        return handled;
    }

    /** Polls in the background every `pollIntervalMs`. */
    start(): void {
        this.watcher.start();
    }

    async stop(): Promise<void> {
        await this.watcher.stop();
    }

    // ---------------- reads (synchronous: the policy and the model loader call them on hot paths) ----------------

    get registryAddress(): Address {
        return this.options.registry;
    }

    get params(): NetworkParams | null {
        return this.state.params;
    }

    get paused(): boolean {
        return this.state.paused;
    }

    isTestNetwork(): boolean {
        return this.state.params?.isTestNetwork === true;
    }

    workerImageAllowed(imageHash: bigint): boolean {
        return this.state.workerImages.has(imageHash);
    }

    proxyImageAllowed(imageHash: bigint): boolean {
        return this.state.proxyImages.has(imageHash);
    }

    isModelAllowed(hash: bigint): boolean {
        return this.state.models.has(hash);
    }

    model(hash: bigint): ModelEntry | null {
        return this.state.models.get(hash) ?? null;
    }

    modelHashes(): bigint[] {
        return [...this.state.models.keys()];
    }

    workerImages(): bigint[] {
        return [...this.state.workerImages];
    }

    proxies(): ProxyEntry[] {
        return [...this.state.proxies.values()].filter((p): p is ProxyEntry => p !== null);
    }

    /** True when `publicKey` (32 bytes or hex) is the key of a proxy the registry lists. */
    isRegisteredProxyKey(publicKey: Buffer | string): boolean {
        const hex = (typeof publicKey === 'string' ? publicKey : publicKey.toString('hex')).toLowerCase();
        return this.proxies().some((p) => p.publicKey === hex);
    }

    // ---------------- persistence ----------------

    private async load(): Promise<void> {
        const cursor = await this.watcher.cursor(this.options.registry);
        if (!cursor) {
            await this.bootstrap();
            return;
        }
        this.state = parseHash(await this.options.redis.hgetall(this.key));
    }

    /** First start: the registry's getters, written with the cursor at its last transaction in one MULTI. */
    private async bootstrap(): Promise<void> {
        const last = await this.options.chain.lastTransaction(this.options.registry);
        const [params, governance, workerImages, proxyImages, models, proxies] = await Promise.all([
            this.registry.getParams(),
            this.registry.getGovernance(),
            this.registry.getWorkerImages(),
            this.registry.getProxyImages(),
            this.registry.getModels(),
            this.registry.getProxies(),
        ]);
        const fields: Record<string, string> = {
            params: paramsToField(params),
            paused: governance.paused ? '1' : '0',
        };
        for (const h of workerImages.keys()) fields[`wi:${hex256(h)}`] = '1';
        for (const h of proxyImages.keys()) fields[`pi:${hex256(h)}`] = '1';
        for (const [h, m] of models) fields[`m:${hex256(h)}`] = JSON.stringify({ name: m.name, kind: Number(m.kind) });
        for (const [id, p] of proxies) fields[`p:${id}`] = JSON.stringify(proxyEntry(BigInt(id), p));
        const multi = this.options.redis.multi().del(this.key).hset(this.key, fields);
        if (last) multi.set(this.watcher.cursorKey(this.options.registry), `${last.lt}:${last.hash.toString('hex')}`);
        await multi.exec();
        this.state = parseHash(fields);
    }

    /** Stages the Redis effect of one registry event (called inside the watcher's MULTI). */
    private stage(event: ChainEvent, multi: ChainableCommander): void {
        if (event.contract !== 'registry' || !event.address.equals(this.options.registry)) return;
        const f = event.fields;
        switch (event.name) {
            case 'ParamsSetEvent':
                multi.hset(this.key, 'params', paramsToField(f.params as NetworkParams));
                break;
            case 'PausedChangedEvent':
                multi.hset(this.key, 'paused', f.paused ? '1' : '0');
                break;
            case 'ListChangedEvent': {
                const field = listField(Number(f.list), f.key as bigint);
                if (!field) break;
                // A re-added model or proxy may have new details: reset them to "unknown" so they are read again.
                const isImage =
                    Number(f.list) === RegistryList.workerImages || Number(f.list) === RegistryList.proxyImages;
                if (f.added) multi.hset(this.key, field, isImage ? '1' : '{}');
                else multi.hdel(this.key, field);
                break;
            }
        }
    }

    /** The same events, applied to memory once Redis has them. */
    private applyCommitted(events: ChainEvent[]): void {
        for (const event of events) {
            if (event.contract !== 'registry' || !event.address.equals(this.options.registry)) continue;
            const f = event.fields;
            if (event.name === 'ParamsSetEvent') this.state.params = f.params as NetworkParams;
            if (event.name === 'PausedChangedEvent') this.state.paused = f.paused === true;
            if (event.name !== 'ListChangedEvent') continue;
            const key = f.key as bigint;
            const added = f.added === true;
            switch (Number(f.list)) {
                case RegistryList.workerImages:
                    if (added) this.state.workerImages.add(key);
                    else this.state.workerImages.delete(key);
                    break;
                case RegistryList.proxyImages:
                    if (added) this.state.proxyImages.add(key);
                    else this.state.proxyImages.delete(key);
                    break;
                case RegistryList.models:
                    if (added) this.state.models.set(key, null);
                    else this.state.models.delete(key);
                    break;
                case RegistryList.proxies:
                    if (added) this.state.proxies.set(Number(key), null);
                    else this.state.proxies.delete(Number(key));
                    break;
            }
        }
    }

    /** Reads names/kinds of models and keys/endpoints of proxies that events announced without details. */
    private async fillDetails(): Promise<void> {
        const writes: Record<string, string> = {};
        for (const [hash, entry] of this.state.models) {
            if (entry) continue;
            const info = await this.registry.getModel(hash);
            if (!info) continue;
            const detail = { name: info.name, kind: Number(info.kind) };
            this.state.models.set(hash, detail);
            writes[`m:${hex256(hash)}`] = JSON.stringify(detail);
        }
        for (const [id, entry] of this.state.proxies) {
            if (entry) continue;
            const info = await this.registry.getProxy(BigInt(id));
            if (!info) continue;
            const detail = proxyEntry(BigInt(id), info);
            this.state.proxies.set(id, detail);
            writes[`p:${id}`] = JSON.stringify(detail);
        }
        if (Object.keys(writes).length) await this.options.redis.hset(this.key, writes);
    }
}

function listField(list: number, key: bigint): string | null {
    switch (list) {
        case RegistryList.workerImages:
            return `wi:${hex256(key)}`;
        case RegistryList.proxyImages:
            return `pi:${hex256(key)}`;
        case RegistryList.models:
            return `m:${hex256(key)}`;
        case RegistryList.proxies:
            return `p:${key}`;
        default:
            return null;
    }
}

function proxyEntry(id: bigint, p: { endpoint: string; publicKey: bigint; proxyAddress: Address }): ProxyEntry {
    return {
        proxyId: Number(id),
        endpoint: p.endpoint,
        publicKey: hex256(p.publicKey),
        proxyAddress: p.proxyAddress.toString(),
    };
}

function paramsToField(params: NetworkParams): string {
    return beginCell().store(storeNetworkParams(params)).endCell().toBoc().toString('base64');
}

function parseHash(fields: Record<string, string>): State {
    const state = emptyState();
    for (const [field, value] of Object.entries(fields)) {
        if (field === 'params') {
            state.params = loadNetworkParams(Cell.fromBase64(value).beginParse());
        } else if (field === 'paused') {
            state.paused = value === '1';
        } else if (field.startsWith('wi:')) {
            state.workerImages.add(BigInt('0x' + field.slice(3)));
        } else if (field.startsWith('pi:')) {
            state.proxyImages.add(BigInt('0x' + field.slice(3)));
        } else if (field.startsWith('m:')) {
            const detail = JSON.parse(value) as Partial<ModelEntry>;
            state.models.set(BigInt('0x' + field.slice(2)), detail.name === undefined ? null : (detail as ModelEntry));
        } else if (field.startsWith('p:')) {
            const detail = JSON.parse(value) as Partial<ProxyEntry>;
            state.proxies.set(Number(field.slice(2)), detail.publicKey === undefined ? null : (detail as ProxyEntry));
        }
    }
    return state;
}
