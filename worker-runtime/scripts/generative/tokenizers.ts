/**
 * Tokenizer files for the generated models, in the Hugging Face `tokenizer.json` format real exports use:
 * - a byte-level BPE (GPT-2's byte-to-unicode map, merges learnt on a fixed corpus) with added special tokens, for the
 *   chat models and Whisper;
 * - a lower-casing WordPiece with [CLS]/[SEP] post-processing, for the BERT-style embedder.
 * Everything is derived from the fixed corpus below in a fixed order, so the files are identical on every rebuild.
 */

const CORPUS = `
The quick brown fox jumps over the lazy dog. A private inference network runs models for people who pay for tokens.
You are a helpful assistant. The user asks a question and the assistant answers it in a few words.
Chrysalis runs chat, embeddings and speech to text on workers that hold attested keys. Tokens are billed by type:
prompt tokens, cached tokens, completion tokens and reasoning tokens. The proxy counts what it can count itself.
What is the capital of France? Paris is the capital of France. How many tokens did that take? Seven or eight.
Write a short poem about the sea. The sea is wide, the sea is deep, the waves come in and then they sleep.
Summarise this text in one sentence. Translate this sentence into French. Transcribe the audio recording.
system user assistant hello world thanks please answer question model worker proxy client token stream
0 1 2 3 4 5 6 7 8 9 10 100 2024 3.14 $5 50% e-mail: user@example.com https://example.com/path?q=1
{"role": "user", "content": "Hi!"} <think> let me think about it </think> def f(x): return x * 2
`;

/** GPT-2's reversible map from bytes to printable unicode characters (so every byte sequence is a string). */
export function bytesToUnicode(): string[] {
    const bs: number[] = [];
    for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
    for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
    for (let b = 0xae; b <= 0xff; b++) bs.push(b);
    const cs = [...bs];
    let n = 0;
    for (let b = 0; b < 256; b++) {
        if (!bs.includes(b)) {
            bs.push(b);
            cs.push(256 + n++);
        }
    }
    const map = new Array<string>(256);
    bs.forEach((b, i) => (map[b] = String.fromCodePoint(cs[i])));
    return map;
}

// GPT-2's pre-tokenisation pattern (what the ByteLevel pre-tokenizer applies with use_regex).
const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Learns `mergeCount` BPE merges on the corpus; ties go to the lexicographically smallest pair. */
function learnMerges(mergeCount: number): string[][] {
    const map = bytesToUnicode();
    const freq = new Map<string, number>();
    for (const word of CORPUS.match(GPT2_PATTERN) ?? []) {
        const mapped = [...Buffer.from(word, 'utf8')].map((b) => map[b]).join('\u0000');
        freq.set(mapped, (freq.get(mapped) ?? 0) + 1);
    }
    let words = [...freq.entries()].map(([w, f]) => ({ symbols: w.split('\u0000'), f }));
    const merges: string[][] = [];
    while (merges.length < mergeCount) {
        const pairs = new Map<string, number>();
        for (const { symbols, f } of words) {
            for (let i = 0; i + 1 < symbols.length; i++) {
                const key = symbols[i] + '\u0000' + symbols[i + 1];
                pairs.set(key, (pairs.get(key) ?? 0) + f);
            }
        }
        let best: string | undefined;
        let bestCount = 0;
        for (const [key, count] of pairs) {
            if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
                best = key;
                bestCount = count;
            }
        }
        if (!best || bestCount < 2) break;
        const [a, b] = best.split('\u0000');
        merges.push([a, b]);
        words = words.map(({ symbols, f }) => {
            const out: string[] = [];
            for (let i = 0; i < symbols.length; i++) {
                if (i + 1 < symbols.length && symbols[i] === a && symbols[i + 1] === b) {
                    out.push(a + b);
                    i++;
                } else out.push(symbols[i]);
            }
            return { symbols: out, f };
        });
    }
    return merges;
}

export interface SpecialToken {
    content: string;
    /** Special tokens are skipped by `decode(..., skip_special_tokens)`; `<think>` is not special (as in Qwen3). */
    special: boolean;
}

export interface BuiltTokenizer {
    json: object;
    vocabSize: number;
    /** Token id of each added token, by content. */
    ids: Record<string, number>;
}

function addedToken(id: number, t: SpecialToken) {
    return {
        id,
        content: t.content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: t.special,
    };
}

/** A byte-level BPE tokenizer: 256 byte tokens, then `mergeCount` merges, then the added tokens. */
export function byteLevelBpe(mergeCount: number, added: SpecialToken[]): BuiltTokenizer {
    const map = bytesToUnicode();
    const vocab: Record<string, number> = {};
    for (let b = 0; b < 256; b++) vocab[map[b]] = b;
    const merges = learnMerges(mergeCount);
    for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = Object.keys(vocab).length;
    const base = Object.keys(vocab).length;
    const ids: Record<string, number> = {};
    added.forEach((t, i) => (ids[t.content] = base + i));
    const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true };
    return {
        vocabSize: base + added.length,
        ids,
        json: {
            version: '1.0',
            truncation: null,
            padding: null,
            added_tokens: added.map((t, i) => addedToken(base + i, t)),
            normalizer: null,
            pre_tokenizer: byteLevel,
            post_processor: byteLevel,
            decoder: byteLevel,
            model: {
                type: 'BPE',
                dropout: null,
                unk_token: null,
                continuing_subword_prefix: '',
                end_of_word_suffix: '',
                fuse_unk: false,
                byte_fallback: false,
                ignore_merges: false,
                vocab,
                merges: merges.map(([a, b]) => `${a} ${b}`),
            },
        },
    };
}

/** A BERT-style WordPiece tokenizer: specials, the corpus's lower-case words, then every printable ASCII piece. */
export function wordPiece(): BuiltTokenizer {
    const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
    const vocab: Record<string, number> = {};
    const add = (t: string) => {
        if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
    };
    specials.forEach(add);
    for (let c = 0x21; c <= 0x7e; c++) add(String.fromCharCode(c).toLowerCase());
    for (let c = 0x21; c <= 0x7e; c++) add('##' + String.fromCharCode(c).toLowerCase());
    for (const w of CORPUS.toLowerCase().match(/[a-z]+/g) ?? []) add(w);
    const ids = Object.fromEntries(specials.map((s) => [s, vocab[s]]));
    const special = (id: string) => ({ id, ids: [vocab[id]], tokens: [id] });
    return {
        vocabSize: Object.keys(vocab).length,
        ids,
        json: {
            version: '1.0',
            truncation: null,
            padding: null,
            added_tokens: specials.map((s) => addedToken(vocab[s], { content: s, special: true })),
            normalizer: {
                type: 'BertNormalizer',
                clean_text: true,
                handle_chinese_chars: true,
                strip_accents: null,
                lowercase: true,
            },
            pre_tokenizer: { type: 'BertPreTokenizer' },
            post_processor: {
                type: 'TemplateProcessing',
                single: [
                    { SpecialToken: { id: '[CLS]', type_id: 0 } },
                    { Sequence: { id: 'A', type_id: 0 } },
                    { SpecialToken: { id: '[SEP]', type_id: 0 } },
                ],
                pair: [
                    { SpecialToken: { id: '[CLS]', type_id: 0 } },
                    { Sequence: { id: 'A', type_id: 0 } },
                    { SpecialToken: { id: '[SEP]', type_id: 0 } },
                    { Sequence: { id: 'B', type_id: 1 } },
                    { SpecialToken: { id: '[SEP]', type_id: 1 } },
                ],
                special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
            },
            decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
            model: {
                type: 'WordPiece',
                unk_token: '[UNK]',
                continuing_subword_prefix: '##',
                max_input_chars_per_word: 100,
                vocab,
            },
        },
    };
}
