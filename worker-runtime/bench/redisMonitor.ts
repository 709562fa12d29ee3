/**
 * Redis commands by the process that sent them, over a window: MONITOR prints each command with the client's address,
 * and the address's local port is mapped to a process through its socket (/proc/net/tcp* and /proc/<pid>/fd). Lua
 * scripts' inner calls are listed under "lua" with their own command names (MONITOR shows them as such).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Redis } from 'ioredis';

/** Local TCP port → socket inode, for every connected socket on this machine. */
function portToInode(): Map<number, string> {
    const out = new Map<number, string>();
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
        let text = '';
        try {
            text = readFileSync(file, 'utf8');
        } catch {
            continue;
        }
        for (const line of text.split('\n').slice(1)) {
            const f = line.trim().split(/\s+/);
            if (f.length < 10) continue;
            const port = parseInt(f[1].split(':')[1], 16);
            out.set(port, f[9]);
        }
    }
    return out;
}

/** Socket inode → pid, for the given pids. */
function inodeToPid(pids: number[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const pid of pids) {
        let fds: string[] = [];
        try {
            fds = readdirSync(`/proc/${pid}/fd`);
        } catch {
            continue;
        }
        for (const fd of fds) {
            try {
                const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
                if (m) out.set(m[1], pid);
            } catch {
                // closed meanwhile
            }
        }
    }
    return out;
}

export interface MonitorCounts {
    /** component → command → calls */
    byComponent: Map<string, Map<string, number>>;
    stop(): Promise<void>;
}

/**
 * Starts counting commands from the given processes (`componentOf`: pid → name; other senders count as "other").
 * Call `stop()` at the window's end.
 */
export async function monitorRedis(url: string, componentOf: Map<number, string>): Promise<MonitorCounts> {
    const byComponent = new Map<string, Map<string, number>>();
    const portOwner = new Map<number, string>();
    const resolvePort = (port: number): string => {
        const known = portOwner.get(port);
        if (known) return known;
        const inode = portToInode().get(port);
        const pid = inode ? inodeToPid([...componentOf.keys(), process.pid]).get(inode) : undefined;
        const name =
            pid === undefined ? 'other' : pid === process.pid ? 'client (bench)' : (componentOf.get(pid) ?? 'other');
        portOwner.set(port, name);
        return name;
    };
    const monitor = await new Redis(url).monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
        let command = (args[0] ?? '').toLowerCase();
        // A script's sha is no name: EVALSHA is told apart by its sha's start and its first key's last segment
        // when that is a word (BullMQ's keys end in one: wait, active…; hashed keys do not).
        if (command === 'evalsha') {
            const last = String(args[3]).split(':').pop() ?? '';
            command = `evalsha ${String(args[1]).slice(0, 8)} (${args[2]} keys${/^[a-z-]{1,20}$/.test(last) ? `, ${last}` : ''})`;
        }
        const component = source === 'lua' ? 'lua' : resolvePort(Number(source.split(':').pop()));
        let counts = byComponent.get(component);
        if (!counts) byComponent.set(component, (counts = new Map()));
        counts.set(command, (counts.get(command) ?? 0) + 1);
    });
    return {
        byComponent,
        stop: async () => {
            monitor.disconnect();
        },
    };
}
