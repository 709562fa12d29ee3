/**
 * The model queue keys, shared by every instance of one proxy (docs/proxy.md, "Several instances"). Each instance
 * runs in a TEE of its own and holds the proxy's secret key; Redis, which they share, is outside every TEE. So a
 * queue key is stored there sealed (AES-256-GCM) under a key derived from the proxy's secret key, bound to its model
 * and version: only an instance of this proxy can open it, and a record moved to another model or version does not
 * open. A record only ever moves to a newer version (a script compares them), so two instances rotating at once
 * agree on the newest key, and each re-reads it.
 *
 * Grants are stored the same way: a grant under an older key version never overwrites a newer one.
 */
import { Redis } from 'ioredis';
import { deriveSubkey, open, seal } from '../../crypto';
import { SealedPayloadError } from '../../errors';
import { RedisKeys } from '../../protocol/keys';

/** KEYS[1] the record; ARGV[1] its new value, ARGV[2] its version. Stores unless the record holds a newer version. */
const STORE_IF_NEWER = `
local old = redis.call('GET', KEYS[1])
if old then
    local ok, v = pcall(cjson.decode, old)
    if ok and type(v) == 'table' and tonumber(v.version or v.keyVersion) and
        tonumber(v.version or v.keyVersion) > tonumber(ARGV[2]) then
        return 0
    end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`;
const STORE_COMMAND = 'chrysalisStoreIfNewer';
type StoreCommand = (key: string, value: string, version: string) => Promise<number>;

export class SharedQueueKeys {
    private readonly sealingKey: Buffer;

    constructor(
        private readonly redis: Redis,
        private readonly prefix: string,
        proxySecretKey: Buffer,
    ) {
        this.sealingKey = deriveSubkey(proxySecretKey, 'proxy-queue-keys');
        if (!(STORE_COMMAND in redis)) redis.defineCommand(STORE_COMMAND, { numberOfKeys: 1, lua: STORE_IF_NEWER });
    }

    private recordKey(model: string): string {
        return `${RedisKeys.admitted(this.prefix, model)}:key`;
    }

    private aad(model: string, version: number): Buffer {
        return Buffer.from(`chrysalis queue key|${model}|${version}`, 'utf8');
    }

    /** The newest key stored for the model, or null (none yet, or a record this proxy did not seal: ignored). */
    async read(model: string): Promise<{ key: Buffer; version: number } | null> {
        const raw = await this.redis.get(this.recordKey(model));
        if (!raw) return null;
        try {
            const { version, sealed } = JSON.parse(raw) as { version: number; sealed: string };
            if (!Number.isSafeInteger(version)) return null;
            return { key: open(this.sealingKey, Buffer.from(sealed, 'base64'), this.aad(model, version)), version };
        } catch (err) {
            if (err instanceof SealedPayloadError || err instanceof SyntaxError) return null;
            throw err;
        }
    }

    /** Stores the key unless Redis holds a newer version; true when stored. */
    async store(model: string, entry: { key: Buffer; version: number }): Promise<boolean> {
        const sealed = seal(this.sealingKey, entry.key, this.aad(model, entry.version)).toString('base64');
        return this.storeIfNewer(
            this.recordKey(model),
            JSON.stringify({ version: entry.version, sealed }),
            entry.version,
        );
    }

    /** Stores a signed grant unless the worker holds a grant of a newer key version. */
    storeGrant(key: string, grant: { keyVersion: number }): Promise<boolean> {
        return this.storeIfNewer(key, JSON.stringify(grant), grant.keyVersion);
    }

    private async storeIfNewer(key: string, value: string, version: number): Promise<boolean> {
        const command = (this.redis as unknown as Record<string, StoreCommand>)[STORE_COMMAND];
        return (await command.call(this.redis, key, value, String(version))) === 1;
    }
}
