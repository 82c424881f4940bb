/**
 * Secret detection measured on generated data (functions/secrets/detect.ts): generated recovery phrases
 * embedded in prose must all come out redacted, and the real-mail corpus must come out untouched.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist as englishWords } from '@scure/bip39/wordlists/english.js';
import { wordlist as simplifiedChineseWords } from '@scure/bip39/wordlists/simplified-chinese.js';
import { wordlist as traditionalChineseWords } from '@scure/bip39/wordlists/traditional-chinese.js';
import { redactSecrets, type SecretKind } from '../../functions/secrets/detect';
import { CORPUS_ROOT, parseCorpusFile } from '../../tests/helpers/corpus';
import { walkCorpus } from '../../tests/helpers/walk-corpus';

export type PhraseLanguage = 'english' | 'simplified-chinese' | 'traditional-chinese';
export type SeparatorStyle =
  | 'spaces'
  | 'one-per-line'
  | 'commas'
  | 'numbered-dot'
  | 'numbered-paren'
  | 'markdown-table'
  | 'ascii-table'
  | 'hyphens'
  | 'tabs'
  | 'no-spaces';

const WORDLISTS: Record<PhraseLanguage, string[]> = {
  english: englishWords,
  'simplified-chinese': simplifiedChineseWords,
  'traditional-chinese': traditionalChineseWords,
};
const LANGUAGES: readonly PhraseLanguage[] = ['english', 'simplified-chinese', 'traditional-chinese'];
const SPACED_STYLES: readonly SeparatorStyle[] = ['spaces', 'one-per-line', 'commas', 'numbered-dot', 'numbered-paren', 'markdown-table', 'ascii-table', 'hyphens', 'tabs'];
/** Bytes of entropy for 12, 15, 18, 21 and 24 words. */
const ENTROPY_BYTES = [16, 20, 24, 28, 32] as const;

/** mulberry32: small, seeded, so a run's phrases are the same every time. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** `variant` picks among a style's spellings (which comma, numbering on one line or one per line). */
export function formatPhrase(words: readonly string[], style: SeparatorStyle, variant: number): string {
  const choose = <T>(items: readonly T[]): T => items[variant % items.length] as T;
  switch (style) {
    case 'spaces':
      return words.join(' ');
    case 'one-per-line':
      return words.join('\n');
    case 'commas':
      return words.join(choose([', ', ',', '，', '、']));
    case 'numbered-dot':
      return words.map((word, index) => `${index + 1}. ${word}`).join(choose([' ', '\n']));
    case 'numbered-paren':
      return words.map((word, index) => `${index + 1}) ${word}`).join(choose([' ', '\n']));
    case 'markdown-table': {
      const rows = [];
      for (let index = 0; index < words.length; index += 3) rows.push(`| ${words.slice(index, index + 3).map((word, column) => `${index + column + 1} | ${word}`).join(' | ')} |`);
      return ['| # | word | # | word | # | word |', '|---|---|---|---|---|---|', ...rows].join('\n');
    }
    case 'ascii-table': {
      const rule = '+----+----------+';
      return [rule, ...words.map((word, index) => `| ${String(index + 1).padStart(2)} | ${word.padEnd(8)} |`), rule].join('\n');
    }
    case 'hyphens':
      return words.join('-');
    case 'tabs':
      return words.join('\t');
    case 'no-spaces':
      return words.join('');
  }
}

/**
 * Prose around a phrase, `{}` where it goes. Some name it and some do not; a phrase written without spaces
 * (Chinese only) is set on a line of its own or after a cue, the two places detect.ts can tell it from prose.
 */
const ENGLISH_PROSE = [
  'Hello support,\n\nMy wallet was emptied last night. Here are my words so you can check:\n\n{}\n\nPlease help me, thanks.',
  'Hi, I cannot log in to the app after the update. {} Can you restore my account?',
  'Dear team, my recovery phrase is {}. I think somebody stole my coins.',
  'Good morning. The withdrawal to my wallet never arrived.\n{}\nRegards, Ana',
  'I wrote this down when I created the wallet:\n{}\nIs it still valid?',
];
const CHINESE_PROSE = [
  '你好，我的钱包被盗了，下面是我的助记词：\n{}\n请尽快帮我处理，谢谢！',
  '客服您好，我的助记词是{}，请帮我找回资产。',
  '您好！\n我昨天提币没有到账，麻烦查一下。\n{}\n谢谢。',
  '我的恢复短语如下：{}\n请问还能用吗？',
  '請幫我看看，我的助記詞：\n{}\n非常感謝。',
];
const PROSE_ONLY_ON_OWN_LINE = new Set([0, 2, 3, 4].map((index) => ENGLISH_PROSE[index]).concat([CHINESE_PROSE[0], CHINESE_PROSE[2], CHINESE_PROSE[4]]));

export interface PhraseSample {
  language: PhraseLanguage;
  words: string[];
  style: SeparatorStyle;
  /** The sample with every word of the phrase blanked: prose and layout (a table's `word` header) only. */
  withoutPhrase: string;
  text: string;
}

/** `count` valid phrases of 12–24 words, each language and separator style in turn, embedded in prose. */
export function generatePhraseSamples(count: number, seed: number): PhraseSample[] {
  const random = seededRandom(seed);
  const samples: PhraseSample[] = [];
  for (let index = 0; index < count; index += 1) {
    const language = LANGUAGES[index % LANGUAGES.length] as PhraseLanguage;
    const entropy = Uint8Array.from({ length: pick(random, ENTROPY_BYTES) }, () => Math.floor(random() * 256));
    const words = entropyToMnemonic(entropy, WORDLISTS[language]).split(' ');
    const styles = language === 'english' ? SPACED_STYLES : [...SPACED_STYLES, 'no-spaces' as const, 'no-spaces' as const];
    const style = pick(random, styles);
    // Either language's prose around either language's phrase: Chinese customers often hold English phrases.
    const prose = pick(random, random() < 0.5 ? ENGLISH_PROSE : CHINESE_PROSE);
    // Tables and one-word-per-line layouts are set on lines of their own, as a customer pastes them.
    const multiline = style === 'one-per-line' || style === 'markdown-table' || style === 'ascii-table';
    const setting = multiline && !PROSE_ONLY_ON_OWN_LINE.has(prose) ? prose.replace('{}', '\n{}\n') : prose;
    const variant = Math.floor(random() * 12);
    samples.push({
      language,
      words,
      style,
      withoutPhrase: setting.replace('{}', formatPhrase(words.map(() => '_'), style, variant)),
      text: setting.replace('{}', formatPhrase(words, style, variant)),
    });
  }
  return samples;
}

/** How often each phrase word occurs in `text`: whole Latin words for English, characters for Chinese. */
function occurrences(text: string, words: readonly string[], language: PhraseLanguage): Map<string, number> {
  const counts = new Map<string, number>();
  const units = language === 'english' ? (text.toLowerCase().match(/[a-z]+/g) ?? []) : [...text];
  const wanted = new Set(words);
  for (const unit of units) if (wanted.has(unit)) counts.set(unit, (counts.get(unit) ?? 0) + 1);
  return counts;
}

/**
 * Fully redacted: the output contains the marker and no phrase word more often than the sample without the
 * phrase does (prose and layout may themselves use a list word such as "help", 的 or a table's `word` header).
 */
export function isFullyRedacted(sample: PhraseSample, output: string): boolean {
  if (!output.includes('[redacted: recovery phrase]')) return false;
  // The markers' own words ("recovery", "phrase") are BIP39 words too.
  const inOutput = occurrences(output.replace(/\[redacted: [a-z -]+\]/g, ' '), sample.words, sample.language);
  const inProse = occurrences(sample.withoutPhrase, sample.words, sample.language);
  return [...inOutput].every(([word, count]) => count <= (inProse.get(word) ?? 0));
}

export interface PhraseRedactionResult {
  samples: number;
  fullyRedacted: number;
  rate: number;
  byLanguage: Record<PhraseLanguage, { samples: number; fullyRedacted: number }>;
  byStyle: Partial<Record<SeparatorStyle, { samples: number; fullyRedacted: number }>>;
  misses: PhraseSample[];
}

export function measurePhraseRedaction(samples: readonly PhraseSample[]): PhraseRedactionResult {
  const byLanguage = Object.fromEntries(LANGUAGES.map((language) => [language, { samples: 0, fullyRedacted: 0 }])) as PhraseRedactionResult['byLanguage'];
  const byStyle: PhraseRedactionResult['byStyle'] = {};
  const misses: PhraseSample[] = [];
  let fullyRedacted = 0;
  for (const sample of samples) {
    const redacted = isFullyRedacted(sample, redactSecrets(sample.text).text);
    const style = (byStyle[sample.style] ??= { samples: 0, fullyRedacted: 0 });
    byLanguage[sample.language].samples += 1;
    style.samples += 1;
    if (redacted) {
      fullyRedacted += 1;
      byLanguage[sample.language].fullyRedacted += 1;
      style.fullyRedacted += 1;
    } else misses.push(sample);
  }
  return { samples: samples.length, fullyRedacted, rate: samples.length === 0 ? 0 : fullyRedacted / samples.length, byLanguage, byStyle, misses };
}

export interface CorpusRedaction {
  /** Path relative to the corpus root. */
  name: string;
  found: SecretKind[];
  /** The first marker with up to 60 characters around it, to see what was taken for a secret. */
  excerpt: string;
}

export interface CorpusRedactionResult {
  messages: number;
  redacted: CorpusRedaction[];
}

/** Files read as mail: `.eml`, and the letters corpus's `.txt` (raw MIME too). Anything else is plain text. */
const isMime = (name: string) => name.endsWith('.eml') || name.startsWith('charsets/');

/**
 * Every message of the shared corpus through `redactSecrets`: for mail, the subject and the text mailparser
 * gives (as the pipeline stores them); for plain-text and HTML replies, the file itself.
 */
export async function corpusRedactions(): Promise<CorpusRedactionResult> {
  const files = walkCorpus('.');
  const redacted: CorpusRedaction[] = [];
  for (const file of files) {
    const name = relative(CORPUS_ROOT, file);
    const texts = isMime(name)
      ? await parseCorpusFile(file).then((message) => [message.subject, message.text])
      : [readFileSync(file, 'utf8')];
    const found = new Set<SecretKind>();
    let excerpt = '';
    for (const text of texts) {
      const result = redactSecrets(text);
      for (const kind of result.found) found.add(kind);
      const at = result.text.indexOf('[redacted: ');
      if (at >= 0 && excerpt === '') excerpt = result.text.slice(Math.max(0, at - 60), at + 90).replace(/\s+/g, ' ');
    }
    if (found.size > 0) redacted.push({ name, found: [...found], excerpt });
  }
  return { messages: files.length, redacted };
}
