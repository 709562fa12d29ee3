/**
 * The text side of a model package, without its weights: the tokenizer (`tokenizer.json` through
 * @huggingface/tokenizers) and the chat template (`tokenizer_config.json`'s `chat_template`, or `chat_template.jinja`,
 * rendered by @huggingface/jinja exactly as transformers.js's `apply_chat_template` renders it). The chat engine uses
 * it, and the proxy loads it alone to count prompt tokens itself and to check that streamed ids decode to the text.
 */
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { InvalidInputError, UnsupportedModelError } from '../errors';
import { ModelPackage, packageJson, packageText, readModelPackage } from './modelPackage';

export interface ChatMessage {
    role: string;
    content: string;
}

/** The span reasoning tokens are counted in (from config.json's think_start_token_id / think_end_token_id). */
export interface ThinkSpan {
    startId: number;
    endId: number;
}

export interface TextProcessor {
    /** The package hash (the registry's key for this model). */
    readonly hash: string;
    /** config.json's model_type (`llama`, `qwen2`, `bert`, `whisper`, …). */
    readonly modelType: string;
    /** The longest sequence the model takes (max_position_embeddings, else the tokenizer's model_max_length). */
    readonly contextLength: number;
    /** Ids that end generation (generation_config / config eos_token_id, a number or a list). */
    readonly eosTokenIds: number[];
    /** Special tokens by role (bos/eos/pad/unk/…), as the tokenizer config names them, with their ids. */
    readonly specialTokens: Record<string, { content: string; id: number | undefined }>;
    readonly thinkSpan: ThinkSpan | undefined;
    readonly hasChatTemplate: boolean;
    /** Ids of a plain text, with the special tokens the tokenizer adds by default (none for chat models). */
    encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
    decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
    /** The prompt text the chat template renders for these messages, with the assistant turn opened. */
    renderChat(messages: readonly ChatMessage[]): string;
    /** The prompt ids for these messages: renderChat, then encode without adding special tokens. */
    encodeChat(messages: readonly ChatMessage[]): number[];
    /** Completion tokens inside the think span (see {@link countReasoningTokens}). */
    countReasoningTokens(promptIds: readonly number[], completionIds: readonly number[]): number;
}

const SPECIAL_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];

function tokenContent(v: unknown): string | undefined {
    if (typeof v === 'string' && v) return v;
    if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') {
        return (v as { content: string }).content;
    }
    return undefined;
}

function idList(v: unknown): number[] {
    if (typeof v === 'number') return [v];
    if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
    return [];
}

/**
 * Reasoning tokens: completion tokens from a think-start token through the matching think-end token, both included.
 * A span the prompt opened (templates that end with `<think>\n`) counts from the first completion token.
 */
export function countReasoningTokens(
    span: ThinkSpan | undefined,
    promptIds: readonly number[],
    completionIds: readonly number[],
): number {
    if (!span) return 0;
    let inside = false;
    for (const id of promptIds) {
        if (id === span.startId) inside = true;
        else if (id === span.endId) inside = false;
    }
    let count = 0;
    for (const id of completionIds) {
        if (id === span.startId) inside = true;
        if (inside) count++;
        if (id === span.endId) inside = false;
    }
    return count;
}

function chatTemplateOf(pkg: ModelPackage, tokenizerConfig: Record<string, unknown>): string | undefined {
    const t = tokenizerConfig.chat_template;
    if (typeof t === 'string') return t;
    if (Array.isArray(t)) {
        const named = t as Array<{ name?: string; template?: string }>;
        return (named.find((x) => x.name === 'default') ?? named[0])?.template;
    }
    const file = packageText(pkg, 'chat_template.jinja');
    if (file !== undefined) return file;
    const json = packageJson<{ chat_template?: string }>(pkg, 'chat_template.json', true);
    return json?.chat_template;
}

/** Loads the tokenizer and chat template of a package (a folder path, or one already read and hashed). */
export function loadTextProcessor(source: string | ModelPackage): TextProcessor {
    // From a path, only the small text files are kept; the weights are hashed in chunks (for the package hash) and
    // dropped, so the proxy can load the text side of a multi-gigabyte model cheaply.
    const pkg =
        typeof source === 'string'
            ? readModelPackage(source, { keep: (rel) => !rel.includes('/') && /\.(json|jinja)$/.test(rel) })
            : source;
    if (!pkg.folder)
        throw new UnsupportedModelError(`${pkg.root} is a single .onnx file, not a model folder with a tokenizer`);
    const config = packageJson(pkg, 'config.json');
    const generation = packageJson(pkg, 'generation_config.json', true) ?? {};
    const tokenizerJson = packageJson(pkg, 'tokenizer.json');
    const tokenizerConfig = packageJson(pkg, 'tokenizer_config.json', true) ?? {};
    let tokenizer: Tokenizer;
    try {
        tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (err) {
        throw new UnsupportedModelError(
            `model package ${pkg.root}: tokenizer.json cannot be loaded: ${(err as Error).message}`,
        );
    }
    const templateSource = chatTemplateOf(pkg, tokenizerConfig);
    let template: Template | undefined;
    if (templateSource !== undefined) {
        try {
            template = new Template(templateSource);
        } catch (err) {
            throw new UnsupportedModelError(
                `model package ${pkg.root}: the chat template does not parse: ${(err as Error).message}`,
            );
        }
    }
    const specialStrings: Record<string, string> = {};
    const specialTokens: TextProcessor['specialTokens'] = {};
    for (const key of SPECIAL_KEYS) {
        const content = tokenContent(tokenizerConfig[key]);
        if (content !== undefined) {
            specialStrings[key] = content;
            specialTokens[key] = { content, id: tokenizer.token_to_id(content) };
        }
    }
    const eosTokenIds = [...new Set([...idList(generation.eos_token_id), ...idList(config.eos_token_id)])];
    if (eosTokenIds.length === 0 && specialTokens.eos_token?.id !== undefined)
        eosTokenIds.push(specialTokens.eos_token.id);
    const maxPositions = [
        config.max_position_embeddings,
        config.max_target_positions,
        tokenizerConfig.model_max_length,
    ].find((v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0);
    const thinkSpan =
        typeof config.think_start_token_id === 'number' && typeof config.think_end_token_id === 'number'
            ? { startId: config.think_start_token_id, endId: config.think_end_token_id }
            : undefined;

    const renderChat = (messages: readonly ChatMessage[]): string => {
        if (!template) throw new UnsupportedModelError(`model package ${pkg.root} has no chat template`);
        validateMessages(messages);
        try {
            return template.render({
                messages,
                add_generation_prompt: true,
                tools: null,
                documents: null,
                ...specialStrings,
            });
        } catch (err) {
            throw new InvalidInputError(`the chat template refused the messages: ${(err as Error).message}`);
        }
    };
    const encode = (text: string, options: { addSpecialTokens?: boolean } = {}) =>
        tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
    return {
        hash: pkg.hash,
        modelType: typeof config.model_type === 'string' ? config.model_type : 'unknown',
        contextLength: maxPositions ?? 0,
        eosTokenIds,
        specialTokens,
        thinkSpan,
        hasChatTemplate: template !== undefined,
        encode,
        // The tokenizer refuses an empty list; its text is the empty string.
        decode: (ids, options = {}) =>
            ids.length === 0
                ? ''
                : tokenizer.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? true }),
        renderChat,
        encodeChat: (messages) => encode(renderChat(messages), { addSpecialTokens: false }),
        countReasoningTokens: (promptIds, completionIds) => countReasoningTokens(thinkSpan, promptIds, completionIds),
    };
}

/** The OpenAI chat roles; any other role is refused before a template sees it. */
export const CHAT_ROLES = ['system', 'developer', 'user', 'assistant', 'tool'] as const;

/** Messages must be a non-empty array of {role, content} with string fields and a known role. */
export function validateMessages(messages: unknown): asserts messages is ChatMessage[] {
    if (!Array.isArray(messages) || messages.length === 0) {
        throw new InvalidInputError('messages must be a non-empty array of {role, content}');
    }
    messages.forEach((m, i) => {
        if (!m || typeof m !== 'object' || typeof m.role !== 'string' || typeof m.content !== 'string') {
            throw new InvalidInputError(`messages[${i}] must be {role: string, content: string}`);
        }
        if (!(CHAT_ROLES as readonly string[]).includes(m.role)) {
            throw new InvalidInputError(`messages[${i}].role "${m.role}" is not one of ${CHAT_ROLES.join(', ')}`);
        }
    });
}
