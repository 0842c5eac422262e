/**
 * Base64 (RFC 4648, with padding) without dependencies, for the kernels' committed bytes (the
 * browser bundle loads them too) and for checkpoints' weights, optimizer state and losses.
 */

const CODES = new TextEncoder().encode(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
);
const PAD = 61; // "="

/**
 * Base64 of bytes, three bytes to four characters in one pass (a checkpoint's megabyte in a few
 * ms; btoa of a binary string built by String.fromCharCode took several times longer).
 */
export function encodeBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0, i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out[o] = CODES[v >>> 18];
    out[o + 1] = CODES[(v >>> 12) & 63];
    out[o + 2] = CODES[(v >>> 6) & 63];
    out[o + 3] = CODES[v & 63];
    o += 4;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const v = (bytes[i] << 16) | (rest > 1 ? bytes[i + 1] << 8 : 0);
    out[o] = CODES[v >>> 18];
    out[o + 1] = CODES[(v >>> 12) & 63];
    out[o + 2] = rest > 1 ? CODES[(v >>> 6) & 63] : PAD;
    out[o + 3] = PAD;
  }
  return new TextDecoder().decode(out);
}

/** Bytes of base64. */
export function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
