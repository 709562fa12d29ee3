/**
 * Index sets of the key families the proxy lists (announcements, stored payout vouchers): SMEMBERS of
 * `RedisKeys.announcementIndex` / `RedisKeys.payoutIndex` instead of a SCAN, which walks the whole keyspace whatever
 * its pattern (charge records, kept 30 days, are most of it) and so would cost more every round as the network serves.
 *
 * Writers write the key first, then SADD its worker key to the index; readers that find a member's key gone SREM it
 * and then look again (see {@link pruneIndexMember}). Key and index are two commands, not one script or MULTI: on a
 * Redis Cluster the index is one key in its own slot and the keys it lists are spread over every slot, so they cannot
 * be written atomically. That is safe because the index only says where to look: a member whose key is gone costs a
 * GET and is pruned; a key written but not yet indexed is listed from its SADD on, which follows the write at once and
 * is repeated on every announcement renewal (ANNOUNCEMENT_RENEW_MS) and every voucher store, so a lost or pruned
 * member comes back within one period. Everything read through the index is still verified (signatures), as before.
 */
import { Redis } from 'ioredis';
import { SignedAnnouncement } from './announcement';
import { RedisKeys } from './keys';

/**
 * Writes a worker's announcement (JSON) under its `workerKey`, with an expiry when `ttlMs` is given, and indexes it.
 * The one writer of announcements: the worker on every (re-)announcement, and tests that plant announcements of their
 * own (forged or tampered ones included, so the proxy really reads and refuses them).
 */
export async function writeAnnouncement(
    redis: Redis,
    prefix: string,
    announcement: SignedAnnouncement | { workerKey: string },
    ttlMs?: number,
): Promise<void> {
    const workerKey = announcement.workerKey.toLowerCase();
    const key = RedisKeys.announcement(prefix, workerKey);
    const json = JSON.stringify(announcement);
    // Key first, then index: a reader that lists the member before the key exists would prune it (see above).
    if (ttlMs === undefined) await redis.set(key, json);
    else await redis.set(key, json, 'PX', ttlMs);
    await redis.sadd(RedisKeys.announcementIndex(prefix), workerKey);
}

/**
 * Renews an announcement's expiry and indexes it again (a member pruned in a race with a re-announcement, or an index
 * lost on its own, comes back within one renewal). False when the announcement is gone: the caller writes it again.
 */
export async function renewAnnouncement(
    redis: Redis,
    prefix: string,
    workerKey: string,
    ttlMs: number,
): Promise<boolean> {
    const member = workerKey.toLowerCase();
    if ((await redis.pexpire(RedisKeys.announcement(prefix, member), ttlMs)) === 0) return false;
    await redis.sadd(RedisKeys.announcementIndex(prefix), member);
    return true;
}

/** Indexes a worker's stored payout voucher, after the store (the key exists whether or not the store replaced it). */
export async function indexPayoutVoucher(redis: Redis, prefix: string, workerKey: string): Promise<void> {
    await redis.sadd(RedisKeys.payoutIndex(prefix), workerKey.toLowerCase());
}

/** The worker keys (hex, lower case) an index lists; some may name keys that are gone (pruned on read). */
export async function indexMembers(redis: Redis, index: string): Promise<string[]> {
    return (await redis.smembers(index)).map((m) => m.toLowerCase());
}

/**
 * Drops `member` from `index` because its key was found gone. Then looks again: a writer that wrote the key and its
 * SADD between the reader's read and this SREM would otherwise lose its member until its next renewal, so a key
 * present now is indexed again (a writer's SADD after the SREM leaves it indexed anyway).
 */
export async function pruneIndexMember(redis: Redis, index: string, key: string, member: string): Promise<void> {
    await redis.srem(index, member);
    if ((await redis.exists(key)) === 1) await redis.sadd(index, member);
}

/**
 * The members of `index` whose key (`keyOf(member)`) still exists, with its value; members whose key is gone are
 * pruned ({@link pruneIndexMember}) and left out. For string-valued keys (announcements, payout vouchers).
 */
export async function indexedEntries(
    redis: Redis,
    index: string,
    keyOf: (member: string) => string,
): Promise<{ member: string; value: string }[]> {
    const members = await indexMembers(redis, index);
    const values = await Promise.all(members.map((m) => redis.get(keyOf(m))));
    const gone = members.filter((_, i) => values[i] === null);
    await Promise.all(gone.map((m) => pruneIndexMember(redis, index, keyOf(m), m)));
    return members.flatMap((member, i) => (values[i] === null ? [] : [{ member, value: values[i]! }]));
}
