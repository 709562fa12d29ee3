/** Messages between a generative engine (main thread) and the worker thread that holds its model. */
import { ChatModelOptions } from './chatModel';
import { EmbeddingModelOptions } from './embeddingModel';
import { ModelPackage } from './modelPackage';
import { SessionOptions } from './sessionFiles';
import { EmbedResult, GenerateRequest, GenerateResult, TokenEvent, TranscribeOptions, TranscribeResult } from './types';

export type EngineKind = 'chat' | 'embedding' | 'speech';

export interface EngineInit {
    engine: EngineKind;
    pkg: ModelPackage;
    options: ChatModelOptions & EmbeddingModelOptions & SessionOptions;
}

/** The thread's first message: what to load (the graph bytes transferred with it). */
export interface ThreadInit {
    type: 'init';
    init: EngineInit;
}

export type ThreadRequest =
    | { type: 'generate'; id: number; req: Omit<GenerateRequest, 'signal'> }
    | { type: 'cancel'; id: number }
    /** Cancel every generation (at its next step), wait for every run in flight, release the model, exit. */
    | { type: 'close' }
    | { type: 'embed'; id: number; inputs: string[] }
    | { type: 'transcribe'; id: number; pcm: Float32Array; options: TranscribeOptions };

export type ThreadMessage =
    | { type: 'ready' }
    | { type: 'fatal'; error: { name: string; message: string } }
    | { type: 'token'; id: number; event: TokenEvent }
    | { type: 'result'; id: number; result: GenerateResult | EmbedResult | TranscribeResult }
    | { type: 'error'; id: number; error: { name: string; message: string } };
