import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeWav, loadTextProcessor, readModelPackage } from '../../../worker-runtime/src/inference';
import { chrysalis } from '../../fixtures/cli';
import { packagePath } from './helpers';

describe('chrysalis model on folders (CLI, in a child process)', () => {
    let dir: string;
    const write = (name: string, content: string | Uint8Array): string => {
        const file = path.join(dir, name);
        writeFileSync(file, content);
        return file;
    };
    beforeAll(() => {
        dir = mkdtempSync(path.join(tmpdir(), 'chrysalis-cli-gen-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('inspect --json gives the hash, task, architecture, context length, tokenizer and special tokens', async () => {
        const { code, stdout } = await chrysalis('model', 'inspect', packagePath('chat-qwen2'), '--json');
        expect(code).toBe(0);
        const info = JSON.parse(stdout);
        expect(info).toMatchObject({
            hash: readModelPackage(packagePath('chat-qwen2')).hash,
            task: 'chat',
            architecture: 'qwen2',
            context_length: 512,
            tokenizer: { class: 'Qwen2Tokenizer', model: 'BPE', chat_template: true },
            special_tokens: { eos_token: { content: '<|im_end|>' } },
        });
        expect(info.eos_token_ids).toHaveLength(2);
        const whisper = JSON.parse((await chrysalis('model', 'inspect', packagePath('whisper'), '--json')).stdout);
        expect([whisper.task, whisper.architecture]).toEqual(['speech-to-text', 'whisper']);
        const bert = JSON.parse((await chrysalis('model', 'inspect', packagePath('embedder'), '--json')).stdout);
        expect([bert.task, bert.architecture]).toEqual(['text-embedding', 'bert']);
    });

    it('chat --json prints exactly the documented shape', async () => {
        const messages = [{ role: 'user', content: 'What is the capital of France?' }];
        const file = write('messages.json', JSON.stringify(messages));
        const { code, stdout } = await chrysalis(
            'model',
            'chat',
            packagePath('chat-llama'),
            '--messages',
            file,
            '--max-tokens',
            '7',
            '--temperature',
            '0.7',
            '--seed',
            '5',
            '--json',
        );
        expect(code).toBe(0);
        expect(stdout.trim().split('\n')).toHaveLength(1);
        const r = JSON.parse(stdout);
        expect(Object.keys(r)).toEqual(['prompt_token_ids', 'completion_token_ids', 'text', 'finish_reason', 'usage']);
        expect(r.prompt_token_ids).toEqual(loadTextProcessor(packagePath('chat-llama')).encodeChat(messages));
        expect(r.completion_token_ids).toHaveLength(7);
        expect(r.finish_reason).toBe('length');
        expect(r.usage).toEqual({
            prompt_tokens: r.prompt_token_ids.length,
            completion_tokens: 7,
            total_tokens: r.prompt_token_ids.length + 7,
            prompt_tokens_details: { cached_tokens: 0 },
            completion_tokens_details: { reasoning_tokens: 0 },
        });
    });

    it('embed --json and transcribe --json print exactly the documented shapes', async () => {
        const input = write('inputs.json', JSON.stringify(['hello world', 'the sea']));
        const e = await chrysalis('model', 'embed', packagePath('embedder'), '--input', input, '--json');
        expect(e.code).toBe(0);
        const er = JSON.parse(e.stdout);
        expect(Object.keys(er)).toEqual(['embeddings', 'usage']);
        expect(er.embeddings).toHaveLength(2);
        expect(er.usage).toEqual({ prompt_tokens: 8 });
        const pcm = Float32Array.from({ length: 16000 * 2 }, (_, i) => 0.2 * Math.sin(i / 7));
        const wav = write('a.wav', encodeWav(pcm));
        const t = await chrysalis('model', 'transcribe', packagePath('whisper'), wav, '--max-tokens', '5', '--json');
        expect(t.code).toBe(0);
        const tr = JSON.parse(t.stdout);
        expect(Object.keys(tr)).toEqual(['token_ids', 'text', 'duration_s']);
        expect(tr.duration_s).toBe(2);
        expect(tr.token_ids.length).toBeLessThanOrEqual(5);
    });

    it('bad input exits 1 with a named reason; usage errors exit 2', async () => {
        const stereo = Buffer.from(encodeWav(new Float32Array(100)));
        stereo.writeUInt16LE(2, 22);
        const bad = await chrysalis('model', 'transcribe', packagePath('whisper'), write('s.wav', stereo), '--json');
        expect(bad.code).toBe(1);
        expect(bad.stdout).toBe('');
        expect(bad.stderr).toMatch(/16 kHz mono/);
        const usage = await chrysalis('model', 'chat', packagePath('chat-llama'), '--json');
        expect(usage.code).toBe(2);
        expect(usage.stderr).toMatch(/--messages/);
    });
});
