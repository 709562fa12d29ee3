/**
 * A WAV reader for speech-to-text input: RIFF/WAVE with 16-bit integer PCM or 32-bit float samples (format 1 or 3,
 * or WAVE_FORMAT_EXTENSIBLE carrying either), mono, 16 kHz. Anything else is refused with a named error saying what
 * was found, before any model runs.
 */
import { InvalidInputError } from '../errors';

export const SPEECH_SAMPLE_RATE = 16000;

/** The bytes are not a WAV file this engine takes (not RIFF/WAVE, unsupported encoding, truncated, wrong rate…). */
export class WavFormatError extends InvalidInputError {}

/** A well-formed WAV whose rate or channel count is not 16 kHz mono (callers may answer it with its own code). */
export class WavLayoutError extends WavFormatError {}

export interface DecodedWav {
    sampleRate: number;
    channels: number;
    /** Samples in [-1, 1]. */
    pcm: Float32Array;
    durationS: number;
}

export function parseWav(bytes: Uint8Array): DecodedWav {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
    if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE')
        throw new WavFormatError('not a WAV file (no RIFF/WAVE header)');
    let format: { code: number; channels: number; rate: number; bits: number } | undefined;
    let data: Uint8Array | undefined;
    for (let at = 12; at + 8 <= bytes.length;) {
        const id = tag(at);
        const size = view.getUint32(at + 4, true);
        const body = at + 8;
        if (body + size > bytes.length && id !== 'data') throw new WavFormatError(`WAV chunk "${id}" is truncated`);
        if (id === 'fmt ') {
            if (size < 16) throw new WavFormatError('WAV fmt chunk is too short');
            let code = view.getUint16(body, true);
            // WAVE_FORMAT_EXTENSIBLE: the real format code is the first two bytes of the sub-format GUID.
            if (code === 0xfffe && size >= 40) code = view.getUint16(body + 24, true);
            format = {
                code,
                channels: view.getUint16(body + 2, true),
                rate: view.getUint32(body + 4, true),
                bits: view.getUint16(body + 14, true),
            };
        } else if (id === 'data') {
            if (body + size > bytes.length)
                throw new WavFormatError(`WAV data chunk declares ${size} bytes; ${bytes.length - body} present`);
            data = bytes.subarray(body, body + size);
        }
        at = body + size + (size % 2);
    }
    if (!format) throw new WavFormatError('WAV file has no fmt chunk');
    if (!data) throw new WavFormatError('WAV file has no data chunk');
    const pcmInt = format.code === 1 && format.bits === 16;
    const pcmFloat = format.code === 3 && format.bits === 32;
    if (!pcmInt && !pcmFloat) {
        throw new WavFormatError(
            `WAV encoding ${format.code} with ${format.bits}-bit samples is not supported (16-bit PCM or 32-bit float)`,
        );
    }
    if (format.channels !== 1 || format.rate !== SPEECH_SAMPLE_RATE) {
        throw new WavLayoutError(
            `audio must be 16 kHz mono; this file is ${format.rate} Hz with ${format.channels} channels`,
        );
    }
    const width = format.bits / 8;
    const n = Math.floor(data.length / width);
    const pcm = new Float32Array(n);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < n; i++) pcm[i] = pcmInt ? dv.getInt16(i * 2, true) / 32768 : dv.getFloat32(i * 4, true);
    return { sampleRate: format.rate, channels: format.channels, pcm, durationS: n / format.rate };
}

/** A 16 kHz mono WAV of these samples (16-bit PCM, or 32-bit float): for tests and tools. */
export function encodeWav(
    pcm: Float32Array,
    encoding: 'pcm16' | 'float32' = 'pcm16',
    sampleRate = SPEECH_SAMPLE_RATE,
): Uint8Array {
    const width = encoding === 'pcm16' ? 2 : 4;
    const out = Buffer.alloc(44 + pcm.length * width);
    out.write('RIFF', 0);
    out.writeUInt32LE(36 + pcm.length * width, 4);
    out.write('WAVEfmt ', 8);
    out.writeUInt32LE(16, 16);
    out.writeUInt16LE(encoding === 'pcm16' ? 1 : 3, 20);
    out.writeUInt16LE(1, 22);
    out.writeUInt32LE(sampleRate, 24);
    out.writeUInt32LE(sampleRate * width, 28);
    out.writeUInt16LE(width, 32);
    out.writeUInt16LE(width * 8, 34);
    out.write('data', 36);
    out.writeUInt32LE(pcm.length * width, 40);
    for (let i = 0; i < pcm.length; i++) {
        if (encoding === 'pcm16')
            out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(pcm[i] * 32767))), 44 + i * 2);
        else out.writeFloatLE(pcm[i], 44 + i * 4);
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
