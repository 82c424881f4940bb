import { createHash } from 'node:crypto';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const DIGIT_OF = new Map([...ALPHABET].map((character, index) => [character, index]));

/** Whether `character` is one of Base58's 58 characters (no 0, O, I or l). */
export function isBase58Character(character: string): boolean {
  return DIGIT_OF.has(character);
}

/** The bytes `text` encodes in Base58, or undefined when a character is not Base58. Quadratic: short inputs only. */
export function decodeBase58(text: string): Uint8Array | undefined {
  const bytes: number[] = [];
  for (const character of text) {
    const digit = DIGIT_OF.get(character);
    if (digit === undefined) return undefined;
    let carry = digit;
    for (let index = 0; index < bytes.length; index += 1) {
      carry += (bytes[index] ?? 0) * 58;
      bytes[index] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  for (const character of text) {
    if (character !== '1') break;
    bytes.push(0);
  }
  return Uint8Array.from(bytes.reverse());
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest();

/** The payload of a Base58Check string whose 4-byte double-SHA-256 checksum is right, else undefined. */
export function decodeBase58Check(text: string): Uint8Array | undefined {
  const bytes = decodeBase58(text);
  if (bytes === undefined || bytes.length < 5) return undefined;
  const payload = bytes.subarray(0, bytes.length - 4);
  const checksum = sha256(sha256(payload)).subarray(0, 4);
  return checksum.equals(bytes.subarray(bytes.length - 4)) ? payload : undefined;
}

/** Base58Check of `payload`, for tests and generated data. */
export function encodeBase58Check(payload: Uint8Array): string {
  const checksum = sha256(sha256(payload)).subarray(0, 4);
  const bytes = [...payload, ...checksum];
  const digits: number[] = [];
  for (const byte of bytes) {
    let carry = byte;
    for (let index = 0; index < digits.length; index += 1) {
      carry += (digits[index] ?? 0) << 8;
      digits[index] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  let leadingZeros = '';
  for (const byte of bytes) {
    if (byte !== 0) break;
    leadingZeros += '1';
  }
  return leadingZeros + digits.reverse().map((digit) => ALPHABET[digit]).join('');
}
