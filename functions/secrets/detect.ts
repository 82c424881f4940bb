/**
 * Finds the secrets a customer gives away in a message — recovery phrases, private keys, passwords and
 * one-time codes — and replaces each with a marker naming what was removed. Pure: no I/O, no clock.
 *
 * Limits, all explicit:
 * - Only the first `MAX_SCANNED_CHARS` UTF-16 code units are scanned. The returned text is the redacted
 *   scanned part only: whatever lies beyond is dropped, never returned unscanned, and `truncatedScan` says so.
 *   Stored text is far shorter (functions/inbound caps it at 64,000 characters), so a caller that redacts what
 *   it stores never meets the cap.
 * - Linear time: one tokenizer pass for words, and regular expressions with bounded, unnested quantifiers for
 *   the rest; every look around a candidate reads a window of fixed size.
 */
import { createHash } from 'node:crypto';
import { wordlist as englishWords } from '@scure/bip39/wordlists/english.js';
import { wordlist as simplifiedChineseWords } from '@scure/bip39/wordlists/simplified-chinese.js';
import { wordlist as traditionalChineseWords } from '@scure/bip39/wordlists/traditional-chinese.js';
import { decodeBase58Check } from './base58';

export type SecretKind = 'recovery-phrase' | 'private-key' | 'password' | 'one-time-code';

/** In the order `found` lists them. */
export const SECRET_KINDS: readonly SecretKind[] = ['recovery-phrase', 'private-key', 'password', 'one-time-code'];

export const REDACTION_MARKERS: Readonly<Record<SecretKind, string>> = {
  'recovery-phrase': '[redacted: recovery phrase]',
  'private-key': '[redacted: private key]',
  password: '[redacted: password]',
  'one-time-code': '[redacted: one-time code]',
};

/** UTF-16 code units scanned; text beyond is dropped from the result (see `truncatedScan`). */
export const MAX_SCANNED_CHARS = 200_000;

/** A recovery phrase is at least this many consecutive words of one BIP39 list (BIP39's shortest is 12). */
export const MIN_PHRASE_WORDS = 12;

export interface SecretRedaction {
  /** The scanned part of the input with every secret replaced by its marker (markers may make it longer). */
  text: string;
  /** Kinds removed, each once, in `SECRET_KINDS` order; empty when nothing was redacted. */
  found: SecretKind[];
  /** How many code units of the input were scanned (and are represented in `text`). */
  scannedChars: number;
  /** True when the input was longer than `MAX_SCANNED_CHARS`: the rest was not scanned and is not in `text`. */
  truncatedScan: boolean;
}

interface Span {
  start: number;
  end: number;
  kind: SecretKind;
}

/** Replaces every secret in `text` with its marker; see the module comment for the limits. */
export function redactSecrets(text: string): SecretRedaction {
  let cut = Math.min(text.length, MAX_SCANNED_CHARS);
  // Never split a surrogate pair at the cut.
  if (cut < text.length && cut > 0 && isHighSurrogate(text.charCodeAt(cut - 1))) cut -= 1;
  const scanned = cut < text.length ? text.slice(0, cut) : text;

  const spans = secretSpans(scanned);
  return {
    text: applySpans(scanned, spans),
    found: kindsOf(spans),
    scannedChars: cut,
    truncatedScan: cut < text.length,
  };
}

/**
 * Windows of the whole-text scan overlap by this much: far more than the longest secret (a 24-word phrase with
 * numbering is about 500 characters, a keystore about 1,000), so every secret lies whole inside some window.
 */
export const WINDOW_OVERLAP_CHARS = 10_000;

/**
 * Like `redactSecrets`, but scans all of `text`, however long, a window of `MAX_SCANNED_CHARS` at a time: for
 * what is kept whole (a text attachment), where dropping the rest is not an option. Still linear: each
 * character is scanned at most twice.
 */
export function redactAllSecrets(text: string): { text: string; found: SecretKind[] } {
  if (text.length <= MAX_SCANNED_CHARS) {
    const { text: redacted, found } = redactSecrets(text);
    return { text: redacted, found };
  }
  const spans: Span[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + MAX_SCANNED_CHARS);
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
    for (const span of secretSpans(text.slice(start, end))) spans.push({ ...span, start: span.start + start, end: span.end + start });
    if (end === text.length) break;
    start = end - WINDOW_OVERLAP_CHARS;
    if (isLowSurrogate(text.charCodeAt(start))) start -= 1;
  }
  return { text: applySpans(text, spans), found: kindsOf(spans) };
}

/** Full-width Latin letters and digits, as a Chinese input method in full-width mode types them. */
const FULL_WIDTH_ALPHANUMERIC = /[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/;
const FULL_WIDTH_ASCII = /[\uFF01-\uFF5E]/g;

function secretSpans(scanned: string): Span[] {
  const spans = spansIn(scanned);
  // `验证码：１２３４５６` is read as `验证码:123456` too; one code unit for one, so the spans fit the original.
  if (FULL_WIDTH_ALPHANUMERIC.test(scanned)) spans.push(...spansIn(scanned.replace(FULL_WIDTH_ASCII, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))));
  return spans;
}

function spansIn(scanned: string): Span[] {
  return [
    ...recoveryPhrases(scanned),
    ...hexPrivateKeys(scanned),
    ...splitHexPrivateKeys(scanned),
    ...wifPrivateKeys(scanned),
    ...extendedPrivateKeys(scanned),
    ...keystores(scanned),
    ...passwords(scanned),
    ...oneTimeCodes(scanned),
  ];
}

function kindsOf(spans: readonly Span[]): SecretKind[] {
  const kinds = new Set(spans.map((span) => span.kind));
  return SECRET_KINDS.filter((kind) => kinds.has(kind));
}

/** Overlapping spans become one; its marker names the kind of the longest span in it. */
function applySpans(text: string, spans: Span[]): string {
  if (spans.length === 0) return text;
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const parts: string[] = [];
  let written = 0;
  let index = 0;
  while (index < sorted.length) {
    const first = sorted[index] as Span;
    let end = first.end;
    let longest = first;
    index += 1;
    while (index < sorted.length && (sorted[index] as Span).start < end) {
      const next = sorted[index] as Span;
      if (next.end - next.start > longest.end - longest.start) longest = next;
      end = Math.max(end, next.end);
      index += 1;
    }
    parts.push(text.slice(written, first.start), REDACTION_MARKERS[longest.kind]);
    written = end;
  }
  parts.push(text.slice(written));
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------
// Tokens: runs of Latin letters, runs of Han characters, runs of other letters; everything else (spaces,
// digits, punctuation, table rules, numbering) separates them.

type TokenType = 'latin' | 'han' | 'other';

interface Token {
  type: TokenType;
  start: number;
  end: number;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;
const isLatinLetter = (code: number) => (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
/** CJK unified ideographs, extension A and compatibility ideographs: every BIP39 Chinese word is among them. */
const isHan = (code: number) => (code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3400 && code <= 0x4dbf) || (code >= 0xf900 && code <= 0xfaff);
const LETTER = /\p{L}/u;

function characterType(text: string, index: number): { type: TokenType | 'separator'; width: number } {
  const code = text.charCodeAt(index);
  if (code < 0x80) return { type: isLatinLetter(code) ? 'latin' : 'separator', width: 1 };
  if (isHan(code)) return { type: 'han', width: 1 };
  const width = isHighSurrogate(code) && index + 1 < text.length ? 2 : 1;
  return { type: LETTER.test(text.slice(index, index + width)) ? 'other' : 'separator', width };
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let current: Token | undefined;
  for (let index = 0; index < text.length; ) {
    const { type, width } = characterType(text, index);
    if (type === 'separator') current = undefined;
    else if (current && current.type === type) current.end = index + width;
    else {
      current = { type, start: index, end: index + width };
      tokens.push(current);
    }
    index += width;
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Recovery phrases
//
// Spaced words (English, or Chinese written one character per token): a run of at least 12 consecutive
// tokens that are all words of one list, with only separators between them — spaces, newlines, commas,
// numbering (`1. abandon`, `1) abandon`), hyphens (`abandon-ability`), markdown or ASCII table rules. Any
// other word, and any end of sentence (`?`, `!`, `;`, a `.` or `:` that does not follow a number), breaks
// the run, which is why English prose, full of `the`, `to`, `my` (not BIP39 words), never
// makes 12. Checksums are not required: a mistyped phrase still opens most of a wallet. An English word
// counts in lower case, capitalised or in capitals, never in mixed case (which base64 and ids are made of).
//
// Chinese written without spaces is a run of Han characters, and the BIP39 Chinese lists are the 2048 most
// common characters, so ordinary Chinese prose is full of 12-character runs of list words. Such a run is a
// phrase only (a) when a cue names it (`助记词`, `seed phrase`, … just before, optionally with `是`/`：`):
// then the longest run of list characters after the cue is redacted, checksum or not; or (b) when the whole
// Han run, bounded by non-Han characters (punctuation, a line of its own), is 12, 15, 18, 21 or 24 list
// characters with a valid BIP39 checksum. A phrase glued without spaces into prose that does not name it is
// not found: no reading tells it from prose.
//
// Not covered: words cut to their first four letters (BIP39 allows it), the other BIP39 languages, a Chinese
// phrase written partly with spaces and partly without, and words that each end a sentence (`Abandon. Ability.`)
// or are split by `;`: telling those from prose would need to read ahead past a sentence's end.

const ENGLISH = new Set(englishWords);
const SIMPLIFIED_CHINESE = new Set(simplifiedChineseWords);
const TRADITIONAL_CHINESE = new Set(traditionalChineseWords);
/** Each list's words by their index (the 11 bits each word stands for). */
const INDEXES = new Map<readonly string[], Map<string, number>>(
  [englishWords, simplifiedChineseWords, traditionalChineseWords].map((list) => [list, new Map(list.map((word, index) => [word, index]))]),
);

/**
 * BIP39's checksum: the words' 11-bit indexes hold the entropy followed by its SHA-256's first `words / 3`
 * bits. Written here, on node:crypto, rather than importing @scure/bip39's main module, which brings a hash
 * library every cold start would load for this one check.
 */
export function hasValidChecksum(words: readonly string[], list: readonly string[]): boolean {
  if (!PHRASE_LENGTHS.has(words.length)) return false;
  const index = INDEXES.get(list);
  if (!index) return false;
  let bits = '';
  for (const word of words) {
    const value = index.get(word);
    if (value === undefined) return false;
    bits += value.toString(2).padStart(11, '0');
  }
  const checksumBits = words.length / 3;
  const entropyBits = bits.length - checksumBits;
  const entropy = Buffer.alloc(entropyBits / 8);
  for (let byte = 0; byte < entropy.length; byte += 1) entropy[byte] = Number.parseInt(bits.slice(byte * 8, byte * 8 + 8), 2);
  const digest = createHash('sha256').update(entropy).digest();
  const expected = [...digest.subarray(0, 1)].map((value) => value.toString(2).padStart(8, '0')).join('').slice(0, checksumBits);
  return bits.slice(entropyBits) === expected;
}

const CHINESE_LISTS = [
  { words: SIMPLIFIED_CHINESE, list: simplifiedChineseWords },
  { words: TRADITIONAL_CHINESE, list: traditionalChineseWords },
] as const;

const PHRASE_LENGTHS = new Set([12, 15, 18, 21, 24]);

function isEnglishWord(word: string): boolean {
  const lower = word.toLowerCase();
  if (!ENGLISH.has(lower)) return false;
  return word === lower || word === word.toUpperCase() || word === lower.charAt(0).toUpperCase() + lower.slice(1);
}

/** Cues, inside a Han run, that the characters after them are a phrase. */
const HAN_PHRASE_CUES = [
  '助记词', '助記詞', '助记码', '助記碼', '助记短语', '助記短語', '记忆词', '記憶詞', '种子词', '種子詞', '种子短语', '種子短語',
  '恢复短语', '恢復短語', '恢复词', '恢復詞', '备份词', '備份詞', '钱包短语', '錢包短語', '密语', '密語',
] as const;
const HAN_CONNECTORS = ['如下', '是', '为', '為'] as const;
/** A cue just before a Han run, across punctuation and spaces: `助记词：`, `seed phrase is`, `mnemonic:`. */
const PHRASE_CUE_BEFORE =
  /(?:助记词|助記詞|助记码|助記碼|短语|短語|记忆词|記憶詞|种子词|種子詞|恢复词|恢復詞|备份词|備份詞|密语|密語|seed|mnemonic|phrase|words)(?:\s?(?:是|为|為|如下|is|are|was))?[\s:：,，、.。\-—=]*$/i;
const CUE_WINDOW = 40;

interface Run {
  words: Array<{ word: string; start: number; end: number }>;
  list: readonly string[];
  /** Index in `words` of the one misspelt word the run bridges (English only), if any. */
  misspeltAt?: number;
}

// A phrase copied by hand often has a word misspelt ("abandon abilty able …"). An English run may bridge one
// token that is not a list word but is a misspelling of one: one letter added, dropped, changed or two swapped
// (`isMisspeltListWord`). With it the run is a phrase at 11 list words (a 12-word phrase with one typo) instead
// of 12, and the misspelt word is redacted with the rest. Why this keeps prose out: a run still breaks at every
// other non-list word and at every end of sentence, so prose would need 11 list words and one near-miss with no
// `the`, `to`, `my`, `I` among them; the near-miss must be 4 to 9 letters (short prose words such as `and` or
// `the` are one letter from a list word, and BIP39's 3-letter words are few), and one bridge per run, so two
// unknown words in a row always break it. The corpus of real mail keeps 0 redactions with it.
const MISSPELLING_DELETIONS = new Set(englishWords.flatMap((word) => [...word].map((_, index) => `${index}:${word.slice(0, index)}${word.slice(index + 1)}`)));
const ENGLISH_BY_DELETION = new Set(englishWords.flatMap((word) => [...word].map((_, index) => word.slice(0, index) + word.slice(index + 1))));

/** Whether `word` is one edit (insertion, deletion, substitution, adjacent swap) from an English list word. */
export function isMisspeltListWord(word: string): boolean {
  if (word.length < 4 || word.length > 9) return false;
  const lower = word.toLowerCase();
  if (!(word === lower || word === word.toUpperCase() || word === lower.charAt(0).toUpperCase() + lower.slice(1))) return false;
  if (ENGLISH.has(lower)) return false;
  // A letter dropped: the word is a list word with one letter deleted.
  if (ENGLISH_BY_DELETION.has(lower)) return true;
  for (let index = 0; index < lower.length; index += 1) {
    const without = lower.slice(0, index) + lower.slice(index + 1);
    // A letter added, or (same position deleted from both) a letter changed.
    if (ENGLISH.has(without) || MISSPELLING_DELETIONS.has(`${index}:${without}`)) return true;
    if (index + 1 < lower.length) {
      const swapped = lower.slice(0, index) + lower.charAt(index + 1) + lower.charAt(index) + lower.slice(index + 2);
      if (ENGLISH.has(swapped)) return true;
    }
  }
  return false;
}

/**
 * Prose words that are also BIP39 words and often stand right before or after a pasted phrase ("seed phrase",
 * "please help", "private key", 是, 请). A run that is a checksum-valid phrase plus a few of these at its ends
 * gives them back; any other run is redacted whole, so a phrase with a typo never loses words to trimming.
 */
const EDGE_PROSE = new Set([
  ...'below please help thank you can will this that have phrase seed word key private also again all just still now good morning hello team check sure okay secret note list only then any code safe keep own find way over next more other before first today soon fine great kind best love friend sorry order issue problem'.split(' '),
  ...'的是我请謝谢为為了在和你您这這吗嗎呢啊吧好'.split(''),
]);
const MAX_EDGE_PROSE_WORDS = 4;

/** The span to redact for a run of list words: the valid phrase inside it when only edge prose is around it. */
function phraseSpan(run: Run): Span {
  const { words, list } = run;
  const whole: Span = { start: (words[0] as Run['words'][number]).start, end: (words[words.length - 1] as Run['words'][number]).end, kind: 'recovery-phrase' };
  let leading = 0;
  while (leading < Math.min(MAX_EDGE_PROSE_WORDS, words.length) && EDGE_PROSE.has((words[leading] as Run['words'][number]).word.toLowerCase())) leading += 1;
  let trailing = 0;
  while (trailing < Math.min(MAX_EDGE_PROSE_WORDS, words.length) && EDGE_PROSE.has((words[words.length - 1 - trailing] as Run['words'][number]).word.toLowerCase())) trailing += 1;
  if (leading === 0 && trailing === 0) return whole;
  for (const length of [...PHRASE_LENGTHS].sort((a, b) => b - a)) {
    for (let from = 0; from <= leading; from += 1) {
      const to = from + length;
      if (to > words.length || words.length - to > trailing) continue;
      const phrase = words.slice(from, to);
      if (hasValidChecksum(phrase.map((entry) => entry.word.toLowerCase()), list)) {
        return { start: (phrase[0] as Run['words'][number]).start, end: (phrase[phrase.length - 1] as Run['words'][number]).end, kind: 'recovery-phrase' };
      }
    }
  }
  return whole;
}

const ALWAYS_ENDS_SENTENCE = new Set(['?', '!', ';', '？', '！', '；', '…']);
const ENDS_SENTENCE_UNLESS_NUMBERING = new Set(['.', ':', '。', '：']);
const isDigit = (character: string) => character >= '0' && character <= '9';

/**
 * Whether the separators between two words end a sentence: `?`, `!`, `;`, or `.`/`:` not after a digit
 * (`1. abandon`, `2: ability` are numbering). Phrases are pasted as lists, so a sentence break ends a run;
 * without it "Good morning team, please help: can you check this order again? Thank you" is 14 list words.
 */
function endsSentence(text: string, from: number, to: number): boolean {
  for (let index = from; index < to; index += 1) {
    const character = text.charAt(index);
    if (ALWAYS_ENDS_SENTENCE.has(character)) return true;
    if (ENDS_SENTENCE_UNLESS_NUMBERING.has(character) && !isDigit(text.charAt(index - 1))) return true;
  }
  return false;
}

function recoveryPhrases(text: string): Span[] {
  const spans: Span[] = [];
  const runs = {
    english: { words: [], list: englishWords } as Run,
    simplified: { words: [], list: simplifiedChineseWords } as Run,
    traditional: { words: [], list: traditionalChineseWords } as Run,
  };
  const close = (run: Run) => {
    const misspeltAt = run.misspeltAt;
    if (misspeltAt === undefined) {
      if (run.words.length >= MIN_PHRASE_WORDS) spans.push(phraseSpan(run));
    } else if (misspeltAt < run.words.length - 1 && run.words.length - 1 >= MIN_PHRASE_WORDS - 1) {
      spans.push({ start: (run.words[0] as Run['words'][number]).start, end: (run.words[run.words.length - 1] as Run['words'][number]).end, kind: 'recovery-phrase' });
    } else {
      // Not a phrase with the misspelt word: each side on its own still may be one.
      for (const words of [run.words.slice(0, misspeltAt), run.words.slice(misspeltAt + 1)]) {
        if (words.length >= MIN_PHRASE_WORDS) spans.push(phraseSpan({ words, list: run.list }));
      }
    }
    run.words = [];
    run.misspeltAt = undefined;
  };
  /**
   * A non-list English token: bridged when it is the run's first misspelling; at a second, the run closes and
   * the words after the first misspelling start the next run, which may bridge this one. Each word is carried
   * over at most once, so this stays linear.
   */
  const unknownEnglish = (run: Run, token: Token, word: string) => {
    const misspelt = token.type === 'latin' && isMisspeltListWord(word);
    const carried = run.misspeltAt === undefined ? [] : run.words.slice(run.misspeltAt + 1);
    if (run.misspeltAt !== undefined || !misspelt) close(run);
    if (!misspelt) return;
    if (carried.length > 0) run.words = carried;
    if (run.words.length === 0) return;
    run.misspeltAt = run.words.length;
    extend(run, token);
  };
  const extend = (run: Run, token: Token) => {
    run.words.push({ word: text.slice(token.start, token.end), start: token.start, end: token.end });
  };
  // A spaced Chinese phrase is often glued to the prose around it (`助记词是便 邵 改 …`, `… 汉请帮我`): the
  // first character of a longer Han run may end a phrase and its last character may start one.
  const chineseToken = (token: Token, word: string, run: Run, words: ReadonlySet<string>) => {
    if (token.type !== 'han') return close(run);
    if (word.length === 1) return words.has(word) ? extend(run, token) : close(run);
    if (words.has(word.charAt(0))) extend(run, { type: 'han', start: token.start, end: token.start + 1 });
    close(run);
    if (words.has(word.charAt(word.length - 1))) extend(run, { type: 'han', start: token.end - 1, end: token.end });
  };
  let previousEnd = 0;
  for (const token of tokenize(text)) {
    const word = text.slice(token.start, token.end);
    if (endsSentence(text, previousEnd, token.start)) {
      close(runs.english);
      close(runs.simplified);
      close(runs.traditional);
    }
    previousEnd = token.end;
    if (token.type === 'latin' && isEnglishWord(word)) extend(runs.english, token);
    else unknownEnglish(runs.english, token, word);
    chineseToken(token, word, runs.simplified, SIMPLIFIED_CHINESE);
    chineseToken(token, word, runs.traditional, TRADITIONAL_CHINESE);
    if (token.type === 'han' && token.end - token.start >= MIN_PHRASE_WORDS) spans.push(...unspacedChinesePhrase(text, token));
  }
  close(runs.english);
  close(runs.simplified);
  close(runs.traditional);
  return spans;
}

function unspacedChinesePhrase(text: string, token: Token): Span[] {
  const run = text.slice(token.start, token.end);
  let cueEnd = -1;
  for (const cue of HAN_PHRASE_CUES) {
    const at = run.lastIndexOf(cue);
    if (at >= 0) cueEnd = Math.max(cueEnd, at + cue.length);
  }
  let connectorEnd = cueEnd;
  if (cueEnd >= 0) {
    for (const connector of HAN_CONNECTORS) if (run.startsWith(connector, cueEnd)) connectorEnd = cueEnd + connector.length;
  } else if (PHRASE_CUE_BEFORE.test(text.slice(Math.max(0, token.start - CUE_WINDOW), token.start))) {
    cueEnd = 0;
    connectorEnd = 0;
  }
  if (cueEnd >= 0) {
    // A connector such as 是 may itself be a list word: counted from the cue it is redacted with the phrase,
    // so a phrase that starts with 是 keeps all its words; from after it, a connector outside the list does not
    // stop the run.
    let best = { start: 0, length: 0 };
    for (const start of [cueEnd, connectorEnd]) {
      for (const { words } of CHINESE_LISTS) {
        let length = 0;
        while (start + length < run.length && words.has(run.charAt(start + length))) length += 1;
        if (length > best.length) best = { start, length };
      }
    }
    if (best.length < MIN_PHRASE_WORDS) return [];
    return [{ start: token.start + best.start, end: token.start + best.start + best.length, kind: 'recovery-phrase' }];
  }
  if (!PHRASE_LENGTHS.has(run.length)) return [];
  for (const { words, list } of CHINESE_LISTS) {
    const characters = [...run];
    if (characters.every((character) => words.has(character)) && hasValidChecksum(characters, list)) {
      return [{ start: token.start, end: token.end, kind: 'recovery-phrase' }];
    }
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// Private keys
//
// 64 hex characters (optionally `0x`) are a private key or a hash: a transaction id, a block hash, a file's
// SHA-256. The rule, in order:
//   1. inside a URL (a block explorer link) it is a hash;
//   2. the nearest cue before it, within 80 characters, decides: a key cue (`key`, `private`, `私钥`, `密钥`)
//      makes it a key, a hash cue (`txid`, `tx`, `hash`, `transaction id`, `哈希`, `交易ID`, `sha256`,
//      `explorer`, …) a hash; failing that, the nearest such cue within 40 characters after;
//   3. with neither around it, it is a key unless the message speaks of a hash or a transfer anywhere
//      (`deposit`, `withdrawal`, `transaction`, `block`, `充值`, `提现`, `交易`, `转账`, …): "no other reading"
//      means the text offers no transaction for it to be the hash of. Transfer words alone never outweigh a
//      key cue ("the private key of my deposit wallet"). A key read as a hash is funds lost; a hash read as a
//      key is only a redacted id, so doubt goes to the key.
// WIF keys are Base58Check with a valid checksum, version 0x80 (mainnet: 51 characters from `5`, 52 from `K`
// or `L`) or 0xef (testnet: `9`, `c`); a bad checksum is not a key. Extended private keys are `xprv`, `yprv`,
// `zprv`, `tprv` (and `uprv`, `vprv`, `Yprv`, `Zprv`, `Uprv`, `Vprv`) followed by 100 or more Base58
// characters, checksum or not: the prefix says what it is, and a mistyped one still gives away most of a
// wallet. A keystore is a JSON object whose `crypto` (or `Crypto`) object holds `ciphertext` and `kdf`.

const HEX_64 = /(?<![0-9A-Za-z])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9A-Za-z])/g;
const KEY_CUE = /\bkeys?\b|\bprivate\b|\bpriv\b|privkey|私钥|私鑰|密钥|密鑰|秘钥|秘鑰/gi;
/** Words that name a hash: they outweigh a key cue only when nearer to the hex. */
const HASH_CUE =
  /\btx(?:id|hash|n)?\b|\bhash(?:es)?\b|\btransaction (?:id|hash)\b|\bexplorer\b|\bsha-?256\b|\bchecksum\b|\bdigest\b|\bfingerprint\b|哈希|交易ID|交易id|校验|校驗/gi;
/** Words of a transfer: a hash reading when no key cue is around, since a key's owner speaks of the key. */
const TRANSFER_CUE =
  /\btransactions?\b|\btransfers?\b|\bdeposit(?:s|ed)?\b|\bwithdraw(?:al|als|n|ing)?\b|\bblocks?\b|\bconfirmations?\b|交易|充值|提现|提現|提币|提幣|转账|轉賬|區塊|区块/gi;
const BEFORE_WINDOW = 80;
const AFTER_WINDOW = 40;
const URL_LOOKBACK = 300;

function lastMatchEnd(pattern: RegExp, window: string): number {
  pattern.lastIndex = 0;
  let end = -1;
  for (const match of window.matchAll(pattern)) end = match.index + match[0].length;
  return end;
}

function firstMatchStart(pattern: RegExp, window: string): number {
  pattern.lastIndex = 0;
  const match = pattern.exec(window);
  pattern.lastIndex = 0;
  return match ? match.index : -1;
}

function insideUrl(text: string, start: number): boolean {
  let from = start;
  const limit = Math.max(0, start - URL_LOOKBACK);
  while (from > limit && !/\s/.test(text.charAt(from - 1))) from -= 1;
  const word = text.slice(from, start).toLowerCase();
  return word.includes('://') || word.startsWith('www.') || word.includes('/tx/');
}

function hexPrivateKeys(text: string): Span[] {
  const spans: Span[] = [];
  let speaksOfTransactions: boolean | undefined;
  for (const match of text.matchAll(HEX_64)) {
    const start = match.index;
    const end = start + match[0].length;
    if (insideUrl(text, start)) continue;
    const before = text.slice(Math.max(0, start - BEFORE_WINDOW), start);
    const after = text.slice(end, end + AFTER_WINDOW);
    const keyBefore = lastMatchEnd(KEY_CUE, before);
    const hashBefore = lastMatchEnd(HASH_CUE, before);
    const keyAfter = firstMatchStart(KEY_CUE, after);
    const hashAfter = firstMatchStart(HASH_CUE, after);
    let isKey: boolean;
    if (keyBefore >= 0 || hashBefore >= 0) isKey = keyBefore > hashBefore;
    else if (keyAfter >= 0 || hashAfter >= 0) isKey = keyAfter >= 0 && (hashAfter < 0 || keyAfter < hashAfter);
    else {
      speaksOfTransactions ??= firstMatchStart(HASH_CUE, text) >= 0 || firstMatchStart(TRANSFER_CUE, text) >= 0;
      isKey = !speaksOfTransactions;
    }
    if (isKey) spans.push({ start, end, kind: 'private-key' });
  }
  return spans;
}

/**
 * A key copied in pieces: `private key: <32 hex>` and the other 32 on the next line, or groups of 4 or 8 as a
 * paper wallet prints them. Hex split like this is read only right after a cue that calls it a key (`private
 * key`, `priv key`, `secret key`, `私钥`, `密钥`): pieces of hex are too common otherwise (ids, colours, hash
 * prefixes), and a transaction hash is never introduced as a key. The pieces must add up to exactly 64 with a
 * digit among them (prose words made of a–f do not), be split by spaces or single line breaks, and the reading
 * stops at 64, so it is bounded.
 */
const SPLIT_KEY_CUE = /\b(?:private|priv|secret)[ _-]?key\b|\bprivkey\b|私钥|私鑰|密钥|密鑰|秘钥|秘鑰/gi;
const HEX_GROUP = /[0-9a-fA-F]{1,64}/y;
const GROUP_SEPARATOR = /[ \t]{1,4}|[ \t]{0,4}\r?\n[ \t]{0,4}/y;
const SPLIT_KEY_START = /[ \t]{0,8}(?:\r?\n[ \t]{0,8})?/y;

function splitHexPrivateKeys(text: string): Span[] {
  const spans: Span[] = [];
  for (const cue of text.matchAll(SPLIT_KEY_CUE)) {
    let index = skipFillers(text, cue.index + cue[0].length).end;
    SPLIT_KEY_START.lastIndex = index;
    index += SPLIT_KEY_START.exec(text)?.[0].length ?? 0;
    const start = index;
    if (/^0[xX]/.test(text.slice(index, index + 2))) index += 2;
    const hexStart = index;
    let digits = 0;
    let groups = 0;
    while (digits < 64) {
      HEX_GROUP.lastIndex = index;
      const group = HEX_GROUP.exec(text);
      if (!group) break;
      digits += group[0].length;
      groups += 1;
      index += group[0].length;
      if (digits >= 64) break;
      GROUP_SEPARATOR.lastIndex = index;
      const separator = GROUP_SEPARATOR.exec(text);
      if (!separator) break;
      index += separator[0].length;
    }
    if (digits !== 64 || groups < 2 || /[0-9A-Za-z]/.test(text.charAt(index))) continue;
    if (!/\d/.test(text.slice(hexStart, index))) continue;
    spans.push({ start, end: index, kind: 'private-key' });
  }
  return spans;
}

const WIF_CANDIDATE = /(?<![0-9A-Za-z])[5KL9c][1-9A-HJ-NP-Za-km-z]{50,51}(?![0-9A-Za-z])/g;

/** Whether `candidate` is a WIF private key: right length for its first character, version and checksum. */
export function isWifPrivateKey(candidate: string): boolean {
  const first = candidate.charAt(0);
  const uncompressed = first === '5' || first === '9';
  if (candidate.length !== (uncompressed ? 51 : 52)) return false;
  const payload = decodeBase58Check(candidate);
  if (payload === undefined) return false;
  const version = payload[0];
  if (version !== (first === '5' || first === 'K' || first === 'L' ? 0x80 : 0xef)) return false;
  return payload.length === 33 || (payload.length === 34 && payload[33] === 0x01);
}

function wifPrivateKeys(text: string): Span[] {
  const spans: Span[] = [];
  for (const match of text.matchAll(WIF_CANDIDATE)) {
    if (isWifPrivateKey(match[0])) spans.push({ start: match.index, end: match.index + match[0].length, kind: 'private-key' });
  }
  return spans;
}

const EXTENDED_PRIVATE_KEY = /(?<![0-9A-Za-z])[xyztuvYZUV]prv[1-9A-HJ-NP-Za-km-z]{100,120}(?![0-9A-Za-z])/g;

function extendedPrivateKeys(text: string): Span[] {
  return [...text.matchAll(EXTENDED_PRIVATE_KEY)].map((match) => ({ start: match.index, end: match.index + match[0].length, kind: 'private-key' as const }));
}

const KEYSTORE_CRYPTO = /"crypto"\s*:\s*\{/gi;
/** How far from the `crypto` object a keystore's braces are looked for; a real keystore is under 1 KB. */
const KEYSTORE_REACH = 4_096;

/** Index just past the `}` closing the object opened at `open`, within `limit`; strings are skipped. */
function closingBrace(text: string, open: number, limit: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let index = open; index < limit; index += 1) {
    const character = text.charAt(index);
    if (inString) {
      if (character === '\\') index += 1;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === '{') depth += 1;
    else if (character === '}') {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
  }
  return undefined;
}

function keystores(text: string): Span[] {
  const spans: Span[] = [];
  let consumed = 0;
  KEYSTORE_CRYPTO.lastIndex = 0;
  for (let match = KEYSTORE_CRYPTO.exec(text); match !== null; match = KEYSTORE_CRYPTO.exec(text)) {
    const keyStart = match.index;
    const objectOpen = keyStart + match[0].length - 1;
    const limit = Math.min(text.length, objectOpen + KEYSTORE_REACH);
    const objectEnd = closingBrace(text, objectOpen, limit) ?? limit;
    const cryptoObject = text.slice(objectOpen, objectEnd);
    if (/"ciphertext"/i.test(cryptoObject) && /"kdf"/i.test(cryptoObject)) {
      // The keystore object around `crypto`: the nearest unmatched `{` before it, its `}` after.
      let start = keyStart;
      let depth = 0;
      for (let index = keyStart - 1; index >= Math.max(consumed, keyStart - KEYSTORE_REACH); index -= 1) {
        const character = text.charAt(index);
        if (character === '}') depth += 1;
        else if (character === '{') {
          if (depth === 0) {
            start = index;
            break;
          }
          depth -= 1;
        }
      }
      const end = start < keyStart ? (closingBrace(text, start, Math.min(text.length, objectEnd + KEYSTORE_REACH)) ?? objectEnd) : objectEnd;
      spans.push({ start, end, kind: 'private-key' });
      consumed = end;
    }
    KEYSTORE_CRYPTO.lastIndex = Math.max(KEYSTORE_CRYPTO.lastIndex, objectEnd);
  }
  return spans;
}

// ---------------------------------------------------------------------------------------------
// Passwords and one-time codes: a label, a connector, and a value right after it. Only the value is
// replaced, so `password: hunter2` reads `password: [redacted: password]`. A label alone ("we will never ask
// for your password") or followed by prose ("my password is wrong", "密码错误", "密码是多少") is no secret.

// `pw`, `pass` and `PIN` are also ordinary words (a boarding pass, pin a message) and an abbreviation in links,
// so they take their value only after `:` or `=` (`TERSE_LABEL`). A PIN given away is a password: `PIN: 1234`,
// `PIN码 1234`; but only digits, and never a dial-in PIN (`Or dial: +372 685 2028 PIN: 498100683#`), which a
// conference invitation gives with a phone number or a `#` (`isDialInPin`). "reset your PIN" has no value and
// is left alone like any label alone.
const PASSWORD_LABEL = /\b(?:passwords?|passwd|pwd|passcode|passphrase|pass phrase|pw|pass|PIN(?=码|碼|\b))|密码|密碼/gi;
/** Short labels that are also ordinary words: only `:` or `=` joins them to a value. */
const TERSE_LABEL = /^(?:pw|pass|pin)$/i;
/**
 * After a terse label, what a password looks like: it starts with a letter or digit (`"Pass":{…}` is JSON) and
 * holds a digit or a symbol, or ends its line; "a second pass: JS source is read…" is a sentence after a colon.
 */
/** Ways to sign in, named as a pair in prose (`Login: email / phone`), not a user name and its password. */
const LOGIN_METHODS = new Set('email e-mail mail phone mobile sms google apple facebook wechat qr password username uid id'.split(' '));

function looksLikeTersePassword(text: string, value: string, valueEnd: number): boolean {
  if (!/^[A-Za-z0-9]/.test(value)) return false;
  return /[^A-Za-z]/.test(value) || /^[ \t]{0,8}(?:\r?\n|$)/.test(text.slice(valueEnd, valueEnd + 10));
}
/** A PIN is 4 to 8 digits (an exchange's PIN, a card's); anything else after `PIN:` is not one. */
const PIN_VALUE = /^\d{4,8}$/;
/** What a conference invitation puts near its dial-in PIN. */
const DIAL_IN_CUE = /dial|conference|meeting|bridge|webex|zoom|teams|\+\d/i;
const DIAL_IN_WINDOW = 60;
/**
 * `username/password: bob / hunter2` and `login/pwd: bob / hunter2`: the label names two values and the
 * first is the user's name, so the password label does not take it; `CREDENTIAL_PAIR` takes the second.
 */
const USER_BEFORE_PASSWORD_LABEL = /(?:\b(?:user(?:name)?|login|account|e-?mail)|用户名|用戶名|账号|帳號|账户|帳戶)\s?\/\s?$/i;
/**
 * A user name and a password given as a pair: `login: bob / hunter2`, `username/password: bob/hunter2`,
 * `账号/密码：bob/hunter2`. The slash between the two values is what says the second is a password. The label
 * starts a word of its own (not `//user:pass@host/path` in a link, nor `arn:aws:iam::account:role/x`), and
 * `//` after the name is a code comment. Each part is bounded and none is nested, so a match reads a window of
 * fixed size.
 */
const CREDENTIAL_PAIR =
  /(?:(?<![^\s([{"'>])(?:login|log-in|sign-in|user(?:name)?|account)(?:\s?\/\s?(?:passwords?|passwd|pass|pwd|pw))?|(?:用户名|用戶名|账号|帳號|账户|帳戶)(?:\/(?:密码|密碼))?)[ \t]?[:=：][ \t]{0,4}([^\s/]{1,128})[ \t]{0,4}\/(?!\/)[ \t]{0,4}/gi;
const ONE_TIME_CODE_LABEL =
  /\b(?:2fa|2-fa|two[- ]factor|mfa|otp|totp|one[- ]time (?:code|password|passcode|pin)|verification code|authenticator|authentication code|auth code|sms code|security code|confirmation code|google code|ga code)\b|谷歌验证码|谷歌驗證碼|验证码|驗證碼|校验码|校驗碼|动态码|動態碼|动态密码|動態密碼|安全码|安全碼|二次验证码|二次驗證碼|一次性密码|一次性密碼|短信码|短信碼/gi;

/** Words that may stand between a label and its value: `2FA code is 123456`, `验证码是 123456`. */
const FILLER_WORDS = ['codes', 'code', 'app', 'is', 'was', 'are', 'number', 'no', 'here', '是', '为', '為', '码', '碼'];
/** Characters that may stand between a label and its value. */
const FILLER_CHARACTERS = new Set([' ', '\t', ':', '：', '=', '#', '-', '—', '"', "'", '“', '”', '「', '」', '(', ')', '（', '）']);
const CONNECTORS = new Set([':', '：', '=', 'is', 'was', '是', '为', '為']);
const VALUE_WINDOW = 160;
const MAX_PASSWORD_CHARS = 128;

/** Words that follow "password is" or "password:" in prose, not passwords. */
const NOT_A_PASSWORD = new Set(
  (
    'wrong incorrect invalid not correct right expired changed change reset locked blocked the a an my your his her our their same too very ' +
    'still being been now required needed weak strong long short working ok okay fine lost forgotten forgot stolen compromised leaked ' +
    'different empty saved stored in on at for from with that which also definitely probably no none n/a na unknown hidden secret private ' +
    'mine here below above attached following as and or but if so then because set sent updated accepted rejected refused known safe ' +
    'secure protected encrypted case-sensitive'
  ).split(' '),
);

/** `one-time password`, `动态密码`, `一次性密码` are one-time codes, found as such. */
const ONE_TIME_BEFORE = /(?:one[- ]time\s?|动态|動態|一次性)$/i;

interface Filler {
  /** Index after the fillers. */
  end: number;
  /** Whether a connector (`:`, `is`, `是`, …) was among them. */
  connected: boolean;
  /** Whether the connector was punctuation (`:`, `=`), which is all that joins a terse label to its value. */
  punctuated: boolean;
}

/** Skips spaces, punctuation and filler words after a label, reading at most `VALUE_WINDOW` characters. */
function skipFillers(text: string, from: number): Filler {
  const limit = Math.min(text.length, from + VALUE_WINDOW);
  let index = from;
  let connected = false;
  let punctuated = false;
  while (index < limit) {
    const character = text.charAt(index);
    if (FILLER_CHARACTERS.has(character)) {
      if (CONNECTORS.has(character)) {
        connected = true;
        punctuated = true;
      }
      index += 1;
      continue;
    }
    const word = FILLER_WORDS.find((filler) => text.startsWith(filler, index) && !isWordCharacter(text.charAt(index + filler.length), filler));
    if (word === undefined) break;
    if (CONNECTORS.has(word)) connected = true;
    index += word.length;
  }
  return { end: index, connected, punctuated };
}

/** Whether `next` continues the word `word` ends with (so `is` does not match the start of `island`). */
function isWordCharacter(next: string, word: string): boolean {
  if (next === '' || !/[A-Za-z]/.test(word.charAt(word.length - 1))) return false;
  return /[A-Za-z0-9]/.test(next);
}

/**
 * `My password:` ending its line, the password alone on the next (a blank line between allowed): where the value
 * starts. Alone on its line is what tells it from a sentence that goes on after a colon; a line ending in `:` is
 * the next label of a form (`Password:` / `Username:`), and a line of punctuation alone (a code fence) is
 * none either.
 */
const VALUE_ON_NEXT_LINE = /^[ \t]{0,8}\r?\n(?:[ \t]{0,8}\r?\n)?[ \t]{0,8}(?=[!-~]{0,127}[!-9;-~][ \t]{0,8}(?:\r?\n|$))(?=[!-~]{0,127}[0-9A-Za-z])/;

/** The password-shaped value at `valueStart`: printable ASCII, a sentence's closing punctuation left out. */
function valueAt(text: string, valueStart: number): string {
  let valueEnd = valueStart;
  const limit = Math.min(text.length, valueStart + MAX_PASSWORD_CHARS);
  // Passwords are typed in ASCII; a value in Chinese after `密码是` is prose (`密码是多少`).
  while (valueEnd < limit && /[!-~]/.test(text.charAt(valueEnd))) valueEnd += 1;
  // A sentence's full stop or comma is not the password's; `!` and `?` may well be, so they stay redacted.
  while (valueEnd > valueStart && /[.,;)"'\]]/.test(text.charAt(valueEnd - 1))) valueEnd -= 1;
  return text.slice(valueStart, valueEnd);
}

function isPasswordValue(value: string): boolean {
  if (value === '' || NOT_A_PASSWORD.has(value.toLowerCase()) || /^\*+$/.test(value) || value.startsWith('[redacted')) return false;
  // `reset my password here: https://…`: a link is where the password is changed, never the password itself.
  return !/^(?:https?:\/\/|www\.)/i.test(value);
}

function isDialInPin(text: string, labelStart: number, valueEnd: number): boolean {
  return text.charAt(valueEnd) === '#' || DIAL_IN_CUE.test(text.slice(Math.max(0, labelStart - DIAL_IN_WINDOW), labelStart));
}

function passwords(text: string): Span[] {
  const spans: Span[] = [];
  for (const match of text.matchAll(PASSWORD_LABEL)) {
    const before = text.slice(Math.max(0, match.index - 12), match.index);
    if (ONE_TIME_BEFORE.test(before) || USER_BEFORE_PASSWORD_LABEL.test(before)) continue;
    const labelEnd = match.index + match[0].length;
    const terse = TERSE_LABEL.test(match[0]);
    const isPin = /^pin$/i.test(match[0]);
    const { end: fillersEnd, connected, punctuated } = skipFillers(text, labelEnd);
    let valueStart = fillersEnd;
    // `My password:` and the password on the next line, as a reply often lays it out.
    if (punctuated && /[:：]/.test(text.slice(labelEnd, fillersEnd))) {
      const nextLine = VALUE_ON_NEXT_LINE.exec(text.slice(fillersEnd, fillersEnd + 40));
      if (nextLine) valueStart = fillersEnd + nextLine[0].length;
    }
    // `PIN码 1234` is written like `密码 1234`.
    const chineseLabel = !/[A-Za-z]/.test(match[0]) || (isPin && /[码碼]/.test(text.charAt(labelEnd)));
    const value = valueAt(text, valueStart);
    // `密码 abc123`: Chinese writers often leave out the colon; a digit keeps `密码 ok` out.
    // A PIN's value must be digits, so `PIN is 4821` is as safe as `PIN: 4821`.
    if (!(terse && !isPin ? punctuated : connected) && !(chineseLabel && /\d/.test(value))) continue;
    if (!isPasswordValue(value)) continue;
    if (terse && !isPin && !looksLikeTersePassword(text, value, valueStart + value.length)) continue;
    if (isPin && (!PIN_VALUE.test(value) || isDialInPin(text, match.index, valueStart + value.length))) continue;
    spans.push({ start: valueStart, end: valueStart + value.length, kind: 'password' });
  }
  for (const match of text.matchAll(CREDENTIAL_PAIR)) {
    const valueStart = match.index + match[0].length;
    const value = valueAt(text, valueStart);
    if (!isPasswordValue(value) || !looksLikeTersePassword(text, value, valueStart + value.length)) continue;
    // `Last login: 2024/05/01` is a date, and `Login: email / phone` names ways to sign in.
    if (/^\d{1,4}$/.test(match[1] ?? '') && /^\d{1,4}\b/.test(value)) continue;
    if (LOGIN_METHODS.has(value.toLowerCase()) || LOGIN_METHODS.has((match[1] ?? '').toLowerCase())) continue;
    spans.push({ start: valueStart, end: valueStart + value.length, kind: 'password' });
  }
  return spans;
}

/** 4 to 8 digits, or two groups of 3 or 4 split by one space or hyphen (`123 456`). */
const CODE_VALUE = /^(?:\d{3,4}[ -]\d{3,4}|\d{4,8})(?![0-9A-Za-z])/;

function oneTimeCodes(text: string): Span[] {
  const spans: Span[] = [];
  for (const match of text.matchAll(ONE_TIME_CODE_LABEL)) {
    const { end: valueStart } = skipFillers(text, match.index + match[0].length);
    const value = CODE_VALUE.exec(text.slice(valueStart, valueStart + 16));
    if (value) spans.push({ start: valueStart, end: valueStart + value[0].length, kind: 'one-time-code' });
  }
  return spans;
}
