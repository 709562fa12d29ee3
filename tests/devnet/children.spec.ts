/**
 * The `--processes` devnet's child processes (devnet/processes/children.ts), with real processes: each in a process
 * group of its own, so a stop or a kill also ends what it started (a grandchild here); a child that exits before its
 * ready line fails the wait with its log's tail; a child that ignores SIGTERM is killed after the grace period.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildProcessError, Children } from '../../worker-runtime/src/devnet/processes/children';
import { alive } from '../fixtures/processes';

const dir = mkdtempSync(join(tmpdir(), 'chrysalis-children-'));
const children = new Children(dir);

afterAll(async () => {
    await children.stopAll();
    rmSync(dir, { recursive: true, force: true });
});

/**
 * True once the process is gone, within `ms`: a signal to a group reaches every member at once, but the child's exit
 * can be seen before a grandchild, inherited by init, has finished dying.
 */
async function goneWithin(pid: number, ms = 5_000): Promise<boolean> {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
        if (!alive(pid)) return true;
    }
    return !alive(pid);
}

/** A shell that starts a grandchild (sleep), prints its pid and a ready line, then waits. */
function parent(name: string, trap = '') {
    return children.start({
        name,
        command: 'bash',
        args: ['-c', `${trap} sleep 300 & echo "grandchild $!"; echo ready; wait`],
        env: { PATH: process.env.PATH ?? '' },
    });
}

test('stop ends the child and everything it started; the ready line is waited for', async () => {
    const child = parent('graceful');
    const line = await child.waitForLine(/grandchild \d+/, 10_000);
    await child.waitForLine(/^ready$/, 10_000);
    const grandchild = Number(/grandchild (\d+)/.exec(line)![1]);
    expect(alive(grandchild)).toBe(true);
    await children.stop('graceful');
    expect(alive(child.pid)).toBe(false);
    expect(await goneWithin(grandchild)).toBe(true);
    expect(children.get('graceful')).toBeUndefined();
});

test('kill is SIGKILL to the group; a child that ignores SIGTERM is killed after the grace period', async () => {
    const killed = parent('crash');
    const grandchild = Number(/grandchild (\d+)/.exec(await killed.waitForLine(/grandchild/, 10_000))![1]);
    await children.kill('crash');
    expect(await killed.exited).toBe('SIGKILL');
    expect(await goneWithin(grandchild)).toBe(true);

    const stubborn = parent('stubborn', "trap '' TERM;");
    await stubborn.waitForLine(/^ready$/, 10_000);
    const t0 = Date.now();
    expect(await children.stop('stubborn', 500)).toBe('SIGKILL');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(450);
});

test('a child that exits before it is ready fails the wait, naming it and showing its log', async () => {
    const child = children.start({
        name: 'broken',
        command: 'bash',
        args: ['-c', 'echo "cannot start: no model"; exit 3'],
        env: { PATH: process.env.PATH ?? '' },
    });
    await expect(child.waitForLine(/ready/, 10_000)).rejects.toThrow(ChildProcessError);
    await expect(child.waitForLine(/ready/, 10_000)).rejects.toThrow(
        /broken exited \(3\)[\s\S]*cannot start: no model/,
    );
});
