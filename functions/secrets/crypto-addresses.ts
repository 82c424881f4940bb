/**
 * Crypto addresses in text, recognised only when a wallet would accept them: a checksum proves the string is
 * an address and not a word, an order number or a hash. Pure: no I/O.
 *
 * - Base58Check with a 21-byte payload (version byte + 20-byte hash): Bitcoin P2PKH (`1…`, version 0x00) and
 *   P2SH (`3…`, 0x05), Litecoin (`L…` 0x30, `M…` 0x32), Dogecoin (`D…` 0x1e, `A…`/`9…` 0x16), TRON (`T…`,
 *   0x41). Other versions decode too but are not addresses of these chains and are ignored.
 * - XRP (`r…`): the same Base58Check over XRP's own alphabet, version 0x00.
 * - Bech32 (BIP173) and bech32m (BIP350) with the human-readable part `bc`, `tb` or `ltc`, checksum verified;
 *   mixed case is invalid by the standard and is not an address.
 * - EVM (`0x` + 40 hex): no checksum to verify when written in one case (EIP-55 casing needs Keccak, which
 *   Node's crypto lacks), so exactly 40 hex digits bounded by non-alphanumerics; a 64-digit transaction hash
 *   never matches.
 * Solana and other chains whose addresses are bare Base58 without a checksum are not recognised: every 32-44
 * character Base58 word would match, and there is no sound way to tell an address from other text.
 *
 * Linear time: each candidate is a bounded run of characters (at most 90), found by one regular expression
 * pass without nested quantifiers; decoding a candidate costs a constant.
 */
import { decodeBase58Check } from './base58';

export type AddressKind = 'bitcoin' | 'litecoin' | 'dogecoin' | 'tron' | 'xrp' | 'bech32' | 'evm';

export interface FoundAddress {
  /** As written in the text. */
  text: string;
  /** The form lists compare: lower case for EVM and bech32 (case-insensitive), as written for Base58. */
  canonical: string;
  kind: AddressKind;
}

const BASE58_VERSIONS: ReadonlyMap<number, AddressKind> = new Map([
  [0x00, 'bitcoin'],
  [0x05, 'bitcoin'],
  [0x30, 'litecoin'],
  [0x32, 'litecoin'],
  [0x1e, 'dogecoin'],
  [0x16, 'dogecoin'],
  [0x41, 'tron'],
]);

const BITCOIN_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const XRP_ALPHABET = 'rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz';
const XRP_TO_BITCOIN = new Map([...XRP_ALPHABET].map((character, index) => [character, BITCOIN_ALPHABET[index]!]));

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_CONSTANT = 1;
const BECH32M_CONSTANT = 0x2bc830a3;

// Bounded runs only: a Base58 address is 25-35 characters, a bech32 one at most 90, an EVM one exactly 42.
const BASE58_CANDIDATE = /(?<![0-9A-Za-z])[1-9A-HJ-NP-Za-km-z]{25,35}(?![0-9A-Za-z])/g;
const BECH32_CANDIDATE = /(?<![0-9A-Za-z])(?:bc|tb|ltc)1[02-9ac-hj-np-z]{6,86}(?![0-9A-Za-z])/gi;
const EVM_CANDIDATE = /(?<![0-9A-Za-z])0x[0-9a-fA-F]{40}(?![0-9A-Za-z])/g;

function base58Kind(candidate: string): AddressKind | undefined {
  const payload = decodeBase58Check(candidate);
  if (payload?.length === 21) {
    const kind = BASE58_VERSIONS.get(payload[0]!);
    if (kind) return kind;
  }
  if (candidate.startsWith('r')) {
    const translated = [...candidate].map((character) => XRP_TO_BITCOIN.get(character)).join('');
    if (translated.length === candidate.length) {
      const xrp = decodeBase58Check(translated);
      if (xrp?.length === 21 && xrp[0] === 0x00) return 'xrp';
    }
  }
  return undefined;
}

function bech32Polymod(values: readonly number[]): number {
  const generators = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let checksum = 1;
  for (const value of values) {
    const top = checksum >>> 25;
    checksum = ((checksum & 0x1ffffff) << 5) ^ value;
    for (let bit = 0; bit < 5; bit += 1) if ((top >>> bit) & 1) checksum ^= generators[bit]!;
  }
  return checksum >>> 0;
}

/** Whether `candidate` carries a valid bech32 or bech32m checksum (BIP173, BIP350). */
export function isValidBech32(candidate: string): boolean {
  if (candidate !== candidate.toLowerCase() && candidate !== candidate.toUpperCase()) return false;
  const lower = candidate.toLowerCase();
  const separator = lower.lastIndexOf('1');
  if (separator < 1 || lower.length - separator - 1 < 6) return false;
  const hrp = lower.slice(0, separator);
  const data = [...lower.slice(separator + 1)].map((character) => BECH32_CHARSET.indexOf(character));
  if (data.some((value) => value < 0)) return false;
  const expanded = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)];
  const checksum = bech32Polymod([...expanded, ...data]);
  return checksum === BECH32_CONSTANT || checksum === BECH32M_CONSTANT;
}

/** Every address in `text`, in order of appearance. */
export function findCryptoAddresses(text: string): FoundAddress[] {
  const found: Array<FoundAddress & { at: number }> = [];
  for (const match of text.matchAll(EVM_CANDIDATE)) found.push({ text: match[0], canonical: match[0].toLowerCase(), kind: 'evm', at: match.index });
  for (const match of text.matchAll(BECH32_CANDIDATE)) {
    if (isValidBech32(match[0])) found.push({ text: match[0], canonical: match[0].toLowerCase(), kind: 'bech32', at: match.index });
  }
  for (const match of text.matchAll(BASE58_CANDIDATE)) {
    const kind = base58Kind(match[0]);
    if (kind) found.push({ text: match[0], canonical: match[0], kind, at: match.index });
  }
  return found.sort((a, b) => a.at - b.at).map(({ at: _at, ...address }) => address);
}

/** The canonical form of `text` when the whole of it is one address, else undefined. */
export function canonicalAddress(text: string): string | undefined {
  const [only, ...more] = findCryptoAddresses(text);
  return only && more.length === 0 && only.text === text ? only.canonical : undefined;
}

// ---------------------------------------------------------------------------------------------
// The deposit-address file: the exchange's published deposit addresses, the only ones a staff reply may name.

/** A file larger than this is refused: the published list of an exchange is a few hundred addresses. */
export const MAX_DEPOSIT_ADDRESS_FILE_BYTES = 1024 * 1024;
/** Entries a file may hold. */
export const MAX_DEPOSIT_ADDRESSES = 10_000;

export class DepositAddressFileError extends Error {
  override readonly name = 'DepositAddressFileError';
}

/**
 * Parses the deposit-address file: plain text, one address per line; blank lines and lines starting with `#`
 * are ignored, and so is anything after ` #` on a line (a label). Every other line must be exactly one address
 * the guard recognises (see the module comment); anything else is an error naming the line, so a typo in the
 * list stops start-up instead of silently blocking or allowing mail. Returns the canonical forms.
 */
export function parseDepositAddresses(text: string, source: string): ReadonlySet<string> {
  if (Buffer.byteLength(text, 'utf8') > MAX_DEPOSIT_ADDRESS_FILE_BYTES) {
    throw new DepositAddressFileError(`${source}: larger than ${MAX_DEPOSIT_ADDRESS_FILE_BYTES} bytes`);
  }
  const addresses = new Set<string>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const entry = line.replace(/(?:^|\s)#.*$/, '').trim();
    if (entry === '') return;
    const canonical = canonicalAddress(entry);
    if (canonical === undefined) problems.push(`line ${index + 1}: ${JSON.stringify(entry.slice(0, 100))} is not an address the guard recognises (Bitcoin, bech32, Litecoin, Dogecoin, TRON, XRP with a valid checksum, or 0x and 40 hex digits)`);
    else addresses.add(canonical);
  });
  if (problems.length > 0) throw new DepositAddressFileError(`${source}: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? `; and ${problems.length - 10} more` : ''}`);
  if (addresses.size > MAX_DEPOSIT_ADDRESSES) throw new DepositAddressFileError(`${source}: ${addresses.size} addresses, more than the ${MAX_DEPOSIT_ADDRESSES} allowed`);
  return addresses;
}
