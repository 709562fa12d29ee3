/**
 * The generated model folders, in the Hugging Face / Optimum ONNX layout operators already have:
 * `chat-llama`, `chat-qwen2`, `chat-think` (a qwen2 whose template opens a `<think>` span), `embedder` (BERT-style)
 * and `whisper`. Each folder: config.json, generation_config.json (decoders), tokenizer.json, tokenizer_config.json,
 * special_tokens_map.json, onnx/*.onnx (+ preprocessor_config.json for Whisper). Deterministic byte for byte.
 */
import { buildBert } from './bertModel';
import { buildDecoder, DecoderShape } from './decoderModel';
import { byteLevelBpe, SpecialToken, wordPiece } from './tokenizers';
import { buildWhisperDecoder, buildWhisperEncoder, WhisperShape } from './whisperModel';

/** One folder: relative path → bytes. */
export type FolderFiles = Record<string, Uint8Array>;

export interface GeneratedFolder {
    name: string;
    /** The registry kind the folder is served as. */
    kind: 'chat' | 'text-embedding' | 'speech-to-text';
    build: () => FolderFiles;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2) + '\n');

const CHATML: SpecialToken[] = [
    { content: '<|endoftext|>', special: true },
    { content: '<|im_start|>', special: true },
    { content: '<|im_end|>', special: true },
    { content: '<think>', special: false },
    { content: '</think>', special: false },
];

const CONTEXT = 512;

// Chat templates in the style of the real models' (Jinja, rendered by @huggingface/jinja).
const SMOLLM_TEMPLATE =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}" +
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant named Tiny, trained to test the Chrysalis engines.<|im_end|>\\n' }}" +
    "{% endif %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const QWEN_TEMPLATE =
    "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}" +
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}";
const THINK_TEMPLATE =
    "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endfor %}" +
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n<think>\\n' }}{%- endif %}";

function addedTokensDecoder(ids: Record<string, number>, specials: SpecialToken[]) {
    return Object.fromEntries(
        specials.map((t) => [
            String(ids[t.content]),
            {
                content: t.content,
                lstrip: false,
                normalized: false,
                rstrip: false,
                single_word: false,
                special: t.special,
            },
        ]),
    );
}

interface ChatVariant {
    architecture: 'llama' | 'qwen2';
    template: string;
    tokenizerClass: string;
    seed: number;
    logitsToKeepInput: boolean;
    /** Adds think_start_token_id / think_end_token_id to config.json (the span reasoning tokens are counted in). */
    think: boolean;
    /** Other sizes than the tiny test models' (the benchmark's larger fp32 folder). */
    size?: Pick<DecoderShape, 'hiddenSize' | 'layers' | 'heads' | 'kvHeads' | 'headDim' | 'intermediateSize'>;
}

function chatFolder(v: ChatVariant): FolderFiles {
    const tok = byteLevelBpe(240, CHATML);
    const shape: DecoderShape = {
        architecture: v.architecture,
        vocabSize: tok.vocabSize,
        hiddenSize: 64,
        layers: 2,
        heads: 4,
        kvHeads: 2,
        headDim: 16,
        intermediateSize: 128,
        maxPositions: CONTEXT,
        ropeTheta: 10000,
        rmsNormEps: 1e-6,
        logitsToKeepInput: v.logitsToKeepInput,
        seed: v.seed,
        ...v.size,
    };
    const imEnd = tok.ids['<|im_end|>'];
    const eot = tok.ids['<|endoftext|>'];
    // Qwen2 exports list two end ids; SmolLM2 (llama) one.
    const eos = v.architecture === 'qwen2' ? [imEnd, eot] : imEnd;
    const config = {
        architectures: [v.architecture === 'llama' ? 'LlamaForCausalLM' : 'Qwen2ForCausalLM'],
        model_type: v.architecture,
        vocab_size: shape.vocabSize,
        hidden_size: shape.hiddenSize,
        intermediate_size: shape.intermediateSize,
        num_hidden_layers: shape.layers,
        num_attention_heads: shape.heads,
        num_key_value_heads: shape.kvHeads,
        head_dim: shape.headDim,
        max_position_embeddings: CONTEXT,
        rms_norm_eps: shape.rmsNormEps,
        rope_theta: shape.ropeTheta,
        hidden_act: 'silu',
        tie_word_embeddings: false,
        bos_token_id: eot,
        eos_token_id: eos,
        torch_dtype: 'float32',
        ...(v.think ? { think_start_token_id: tok.ids['<think>'], think_end_token_id: tok.ids['</think>'] } : {}),
    };
    return {
        'config.json': json(config),
        'generation_config.json': json({ bos_token_id: eot, eos_token_id: eos, pad_token_id: eot }),
        'tokenizer.json': json(tok.json),
        'tokenizer_config.json': json({
            add_bos_token: false,
            add_prefix_space: false,
            added_tokens_decoder: addedTokensDecoder(tok.ids, CHATML),
            bos_token: null,
            chat_template: v.template,
            clean_up_tokenization_spaces: false,
            eos_token: '<|im_end|>',
            model_max_length: CONTEXT,
            pad_token: '<|endoftext|>',
            tokenizer_class: v.tokenizerClass,
            unk_token: null,
        }),
        'special_tokens_map.json': json({
            additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
            eos_token: '<|im_end|>',
            pad_token: '<|endoftext|>',
        }),
        'onnx/model.onnx': buildDecoder(shape),
    };
}

function embedderFolder(): FolderFiles {
    const tok = wordPiece();
    const shape = {
        vocabSize: tok.vocabSize,
        hiddenSize: 32,
        layers: 2,
        heads: 2,
        intermediateSize: 64,
        maxPositions: 128,
        seed: 4242,
    };
    return {
        'config.json': json({
            architectures: ['BertModel'],
            model_type: 'bert',
            vocab_size: shape.vocabSize,
            hidden_size: shape.hiddenSize,
            num_hidden_layers: shape.layers,
            num_attention_heads: shape.heads,
            intermediate_size: shape.intermediateSize,
            max_position_embeddings: shape.maxPositions,
            type_vocab_size: 2,
            hidden_act: 'gelu',
            layer_norm_eps: 1e-12,
            pad_token_id: tok.ids['[PAD]'],
        }),
        'tokenizer.json': json(tok.json),
        'tokenizer_config.json': json({
            clean_up_tokenization_spaces: true,
            cls_token: '[CLS]',
            do_lower_case: true,
            mask_token: '[MASK]',
            model_max_length: shape.maxPositions,
            pad_token: '[PAD]',
            sep_token: '[SEP]',
            strip_accents: null,
            tokenize_chinese_chars: true,
            tokenizer_class: 'BertTokenizer',
            unk_token: '[UNK]',
        }),
        'special_tokens_map.json': json({
            cls_token: '[CLS]',
            mask_token: '[MASK]',
            pad_token: '[PAD]',
            sep_token: '[SEP]',
            unk_token: '[UNK]',
        }),
        'modules.json': json([
            { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
            { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
            { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
        ]),
        'onnx/model.onnx': buildBert(shape),
    };
}

const WHISPER_SPECIALS: SpecialToken[] = [
    '<|endoftext|>',
    '<|startoftranscript|>',
    '<|en|>',
    '<|translate|>',
    '<|transcribe|>',
    '<|startoflm|>',
    '<|startofprev|>',
    '<|nocaptions|>',
    '<|notimestamps|>',
].map((content) => ({ content, special: true }));

function whisperFolder(): FolderFiles {
    const tok = byteLevelBpe(240, WHISPER_SPECIALS);
    const shape: WhisperShape = {
        vocabSize: tok.vocabSize,
        dModel: 32,
        heads: 2,
        decoderLayers: 2,
        melBins: 80,
        maxTargetPositions: 448,
        seed: 7070,
    };
    const id = (t: string) => tok.ids[t];
    const eot = id('<|endoftext|>');
    const ids = {
        bos_token_id: eot,
        eos_token_id: eot,
        pad_token_id: eot,
        decoder_start_token_id: id('<|startoftranscript|>'),
    };
    return {
        'config.json': json({
            architectures: ['WhisperForConditionalGeneration'],
            model_type: 'whisper',
            is_encoder_decoder: true,
            vocab_size: shape.vocabSize,
            d_model: shape.dModel,
            encoder_layers: 0,
            encoder_attention_heads: shape.heads,
            decoder_layers: shape.decoderLayers,
            decoder_attention_heads: shape.heads,
            num_mel_bins: shape.melBins,
            max_source_positions: 1500,
            max_target_positions: shape.maxTargetPositions,
            begin_suppress_tokens: [eot],
            suppress_tokens: [],
            ...ids,
        }),
        'generation_config.json': json({
            ...ids,
            begin_suppress_tokens: [eot],
            suppress_tokens: [],
            is_multilingual: false,
            max_length: shape.maxTargetPositions,
            no_timestamps_token_id: id('<|notimestamps|>'),
        }),
        'preprocessor_config.json': json({
            chunk_length: 30,
            feature_extractor_type: 'WhisperFeatureExtractor',
            feature_size: shape.melBins,
            hop_length: 160,
            n_fft: 400,
            n_samples: 480000,
            nb_max_frames: 3000,
            padding_side: 'right',
            padding_value: 0,
            processor_class: 'WhisperProcessor',
            return_attention_mask: false,
            sampling_rate: 16000,
        }),
        'tokenizer.json': json(tok.json),
        'tokenizer_config.json': json({
            add_prefix_space: false,
            added_tokens_decoder: addedTokensDecoder(tok.ids, WHISPER_SPECIALS),
            bos_token: '<|endoftext|>',
            clean_up_tokenization_spaces: true,
            eos_token: '<|endoftext|>',
            model_max_length: 1024,
            pad_token: '<|endoftext|>',
            tokenizer_class: 'WhisperTokenizer',
            unk_token: '<|endoftext|>',
        }),
        'special_tokens_map.json': json({
            bos_token: '<|endoftext|>',
            eos_token: '<|endoftext|>',
            pad_token: '<|endoftext|>',
            unk_token: '<|endoftext|>',
        }),
        'onnx/encoder_model.onnx': buildWhisperEncoder(shape),
        'onnx/decoder_model_merged.onnx': buildWhisperDecoder(shape),
    };
}

/**
 * A larger llama-layout chat folder for the benchmark's memory and speed figures (never generated by `npm run
 * models`, never committed): 8 layers of hidden 512 (GQA 8/4 heads of 64, MLP 1408), about 23.6 M fp32 weights, a
 * 94 MB `onnx/model.onnx`, the size of a small real export. Random weights, like the test models.
 */
export function benchChatFolder(): FolderFiles {
    return chatFolder({
        architecture: 'llama',
        template: SMOLLM_TEMPLATE,
        tokenizerClass: 'GPT2Tokenizer',
        seed: 4004,
        logitsToKeepInput: true,
        think: false,
        size: { hiddenSize: 512, layers: 8, heads: 8, kvHeads: 4, headDim: 64, intermediateSize: 1408 },
    });
}

export const GENERATED_FOLDERS: ReadonlyArray<GeneratedFolder> = [
    {
        name: 'chat-llama',
        kind: 'chat',
        build: () =>
            chatFolder({
                architecture: 'llama',
                template: SMOLLM_TEMPLATE,
                tokenizerClass: 'GPT2Tokenizer',
                seed: 1001,
                logitsToKeepInput: true,
                think: false,
            }),
    },
    {
        name: 'chat-qwen2',
        kind: 'chat',
        build: () =>
            chatFolder({
                architecture: 'qwen2',
                template: QWEN_TEMPLATE,
                tokenizerClass: 'Qwen2Tokenizer',
                seed: 2002,
                logitsToKeepInput: false,
                think: false,
            }),
    },
    {
        name: 'chat-think',
        kind: 'chat',
        build: () =>
            chatFolder({
                architecture: 'qwen2',
                template: THINK_TEMPLATE,
                tokenizerClass: 'Qwen2Tokenizer',
                seed: 3003,
                logitsToKeepInput: false,
                think: true,
            }),
    },
    { name: 'embedder', kind: 'text-embedding', build: embedderFolder },
    { name: 'whisper', kind: 'speech-to-text', build: whisperFolder },
];
