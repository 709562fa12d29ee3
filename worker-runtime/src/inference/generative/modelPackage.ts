/**
 * Model packages: a single `.onnx` file (hash = SHA-256 of its bytes, as before) or a folder in the Hugging Face /
 * Optimum layout, whose hash is the SHA-256 of a canonical manifest of every file it contains:
 *
 *   chrysalis-model-package-v1\n
 *   <sha256 hex> <size in bytes> <relative path>\n     one line per file, sorted by the path's UTF-8 bytes
 *
 * Paths use `/`, relative to the folder. Every regular file counts (external `.onnx_data` too); a symbolic link, a
 * path with a newline or a file that is not readable is refused, so the hash always covers exactly what is loaded.
 * docs/inference.md has a worked example.
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { ModelNotAllowedError, UnsupportedModelError } from '../errors';
import { ModelRegistry, modelHashToBigInt } from '../registry';

export const PACKAGE_MANIFEST_HEADER = 'chrysalis-model-package-v1';

export interface PackageFile {
    /** Relative path with `/` separators. */
    path: string;
    size: number;
    sha256: string;
}

export interface ModelPackage {
    /** Absolute path of the folder (or file). */
    root: string;
    /** True for a folder package, false for a single `.onnx` file. */
    folder: boolean;
    /** The package hash the registry lists: 64 lowercase hex characters. */
    hash: string;
    files: PackageFile[];
    /** The canonical manifest text whose SHA-256 is `hash` (folders only; empty for a single file). */
    manifest: string;
    /**
     * The bytes that were hashed, by relative path: what the engines load, so a file swapped later changes nothing.
     * Every file unless `readModelPackage`'s `keep` chose fewer.
     */
    contents: Map<string, Uint8Array>;
}

export interface ReadPackageOptions {
    /** Keep the bytes of only these files (others are hashed in chunks and dropped): the tokenizer-only loader. */
    keep?: (relPath: string) => boolean;
}

/**
 * The bytes in an ArrayBuffer of their own (so they can be transferred to an engine thread): a large file read
 * already has one and is not copied (a model is not held twice); a small one may share Node's pool and is copied.
 */
function ownBytes(buf: Buffer): Uint8Array {
    if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength)
        return new Uint8Array(buf.buffer, 0, buf.byteLength);
    return new Uint8Array(buf);
}

/** SHA-256 and size of a file read in 16 MiB chunks (for files whose bytes are not kept). */
function hashFile(file: string): { sha256: string; size: number } {
    const hash = createHash('sha256');
    const chunk = Buffer.alloc(16 * 1024 * 1024);
    const fd = openSync(file, 'r');
    let size = 0;
    try {
        for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; size += n) hash.update(chunk.subarray(0, n));
    } finally {
        closeSync(fd);
    }
    return { sha256: hash.digest('hex'), size };
}

export function sha256Hex(bytes: Uint8Array | string): string {
    return createHash('sha256').update(bytes).digest('hex');
}

function compareUtf8(a: string, b: string): number {
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Every regular file under `dir`, relative, `/`-separated; refuses links and odd names. */
function listFiles(dir: string, rel = ''): string[] {
    const out: string[] = [];
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
        const relPath = rel ? `${rel}/${entry.name}` : entry.name;
        if (/[\n\r]/.test(entry.name))
            throw new UnsupportedModelError(
                `model package ${dir}: file name with a line break: ${JSON.stringify(relPath)}`,
            );
        if (entry.isSymbolicLink())
            throw new UnsupportedModelError(
                `model package ${dir}: ${relPath} is a symbolic link (packages hold regular files only)`,
            );
        if (entry.isDirectory()) out.push(...listFiles(dir, relPath));
        else if (entry.isFile()) out.push(relPath);
        else throw new UnsupportedModelError(`model package ${dir}: ${relPath} is not a regular file`);
    }
    return out;
}

/** The canonical manifest of a list of files (sorted here; the input order does not matter). */
export function packageManifest(files: readonly PackageFile[]): string {
    const sorted = [...files].sort((a, b) => compareUtf8(a.path, b.path));
    return PACKAGE_MANIFEST_HEADER + '\n' + sorted.map((f) => `${f.sha256} ${f.size} ${f.path}\n`).join('');
}

/** Reads and hashes a package (folder or single file) without any registry check. */
export function readModelPackage(target: string, options: ReadPackageOptions = {}): ModelPackage {
    const root = path.resolve(target);
    let stat;
    try {
        stat = lstatSync(root);
    } catch (err) {
        throw new UnsupportedModelError(
            `cannot read model package ${target}: ${(err as NodeJS.ErrnoException).code ?? err}`,
        );
    }
    const contents = new Map<string, Uint8Array>();
    if (stat.isFile() || (stat.isSymbolicLink() && statSync(root).isFile())) {
        const bytes = ownBytes(readFileSync(root));
        const name = path.basename(root);
        contents.set(name, bytes);
        const hash = sha256Hex(bytes);
        return {
            root,
            folder: false,
            hash,
            files: [{ path: name, size: bytes.length, sha256: hash }],
            manifest: '',
            contents,
        };
    }
    if (!stat.isDirectory()) throw new UnsupportedModelError(`model package ${target} is neither a file nor a folder`);
    const files: PackageFile[] = [];
    for (const rel of listFiles(root)) {
        const file = path.join(root, rel);
        if (options.keep && !options.keep(rel)) {
            files.push({ path: rel, ...hashFile(file) });
            continue;
        }
        const bytes = ownBytes(readFileSync(file));
        contents.set(rel, bytes);
        files.push({ path: rel, size: bytes.length, sha256: sha256Hex(bytes) });
    }
    if (files.length === 0) throw new UnsupportedModelError(`model package ${target} is an empty folder`);
    files.sort((a, b) => compareUtf8(a.path, b.path));
    const manifest = packageManifest(files);
    return { root, folder: true, hash: sha256Hex(manifest), files, manifest, contents };
}

/** Reads a package and refuses it with {@link ModelNotAllowedError} unless the registry lists its hash. */
export function loadAllowedPackage(target: string, registry: ModelRegistry): ModelPackage {
    const pkg = readModelPackage(target);
    if (!registry.isModelAllowed(modelHashToBigInt(pkg.hash))) {
        throw new ModelNotAllowedError(
            `model package ${target} (hash ${pkg.hash}) is not on the registry's allow-list`,
        );
    }
    return pkg;
}

/** A file of the package as text (config and tokenizer files), or undefined when absent. */
export function packageText(pkg: ModelPackage, rel: string): string | undefined {
    const bytes = pkg.contents.get(rel);
    return bytes ? Buffer.from(bytes).toString('utf8') : undefined;
}

/** A JSON file of the package, parsed; a named error when it is missing (unless optional) or not JSON. */
export function packageJson<T = Record<string, unknown>>(pkg: ModelPackage, rel: string, optional: true): T | undefined;
export function packageJson<T = Record<string, unknown>>(pkg: ModelPackage, rel: string, optional?: false): T;
export function packageJson<T>(pkg: ModelPackage, rel: string, optional = false): T | undefined {
    const text = packageText(pkg, rel);
    if (text === undefined) {
        if (optional) return undefined;
        throw new UnsupportedModelError(`model package ${pkg.root} has no ${rel}`);
    }
    try {
        return JSON.parse(text) as T;
    } catch (err) {
        throw new UnsupportedModelError(
            `model package ${pkg.root}: ${rel} is not valid JSON: ${(err as Error).message}`,
        );
    }
}
