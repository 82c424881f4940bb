import type { Language } from './types';

/**
 * Share of Chinese characters among the text's units at or above which it is Chinese. A unit is one Han
 * character or one word in any other script: a Han character carries about as much as a word, so counting
 * Latin letters one by one would let a pasted English error message outweigh the Chinese around it. At 0.3,
 * "请问 withdrawal 为什么 pending 了三天" (8 of 10) is Chinese and an English mail signed with a Chinese name
 * ("Best regards, 王小明" after a few sentences) is not.
 */
export const HAN_SHARE_THRESHOLD = 0.3;

/**
 * Share of kana among Chinese-script characters and kana at or above which the text is Japanese, which this
 * desk answers in English. Japanese prose is mostly kana; Chinese prose has none.
 */
export const KANA_SHARE_FOR_JAPANESE = 0.1;

/**
 * Only this many leading characters of the subject are read: RFC 5322 allows 998 on a line, and what is stored of
 * a subject is cut there too.
 */
export const MAX_LANGUAGE_SUBJECT_CHARS = 998;

/**
 * Only this many leading characters of the text are read. The share of Han characters in the first few thousand
 * characters of what a person typed tells Chinese from English as well as the whole text does; a long tail is
 * usually a pasted log or transcript, which says nothing about the writer's language anyway.
 */
export const MAX_LANGUAGE_TEXT_CHARS = 8_000;

const HAN = /\p{Script=Han}/u;
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** A Han character, a kana, or a run of other letters and digits that holds at least one letter. */
const UNIT = /\p{Script=Han}|[\p{Script=Hiragana}\p{Script=Katakana}]|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{M}\p{N}_])+/gu;
const LETTER = /\p{L}/u;
/** A link starts here: at a word boundary, `http://`, `https://` or `www.`. */
const LINK_START = /\b(?:https?:\/\/|www\.)/iu;
/** Whitespace-delimited runs; matching one never backtracks. */
const NON_SPACE_RUN = /\S+/gu;
/**
 * A line holding U+FFFD was decoded with the wrong charset (a GBK part with no charset label comes out as
 * Latin-looking mojibake), so its letters are no evidence of any language.
 */
const UNDECODED_LINE = /^.*\uFFFD.*$/gmu;

/**
 * Chinese or English (everything else falls back to English). `text` is the visible new text, without quoted
 * history; the subject counts like any other line, which decides when the body is empty or undecodable.
 */
export function detectLanguage(text: string, subject = ''): Language {
  const sample = withoutLinksAndAddresses(
    `${subject.slice(0, MAX_LANGUAGE_SUBJECT_CHARS)}\n${text.slice(0, MAX_LANGUAGE_TEXT_CHARS)}`.replace(UNDECODED_LINE, ' '),
  );
  let han = 0;
  let kana = 0;
  let words = 0;
  for (const [unit] of sample.matchAll(UNIT)) {
    if (HAN.test(unit)) han++;
    else if (KANA.test(unit)) kana++;
    else if (LETTER.test(unit)) words++;
  }
  if (han === 0) return 'en';
  if (kana / (han + kana) >= KANA_SHARE_FOR_JAPANESE) return 'en';
  return han / (han + words) >= HAN_SHARE_THRESHOLD ? 'zh' : 'en';
}

/**
 * Links and mail addresses say nothing about the writer's language: a run of non-space characters with an `@`
 * inside it goes whole, and a link goes from where it starts to the end of its run. Done run by run, because
 * the equivalent `\S+@\S+` pattern backtracks over every long run without an `@`: quadratic in its length.
 */
function withoutLinksAndAddresses(sample: string): string {
  return sample.replace(NON_SPACE_RUN, (run) => {
    const at = run.indexOf('@', 1);
    if (at > 0 && at < run.length - 1) return ' ';
    const link = run.search(LINK_START);
    return link < 0 ? run : `${run.slice(0, link)} `;
  });
}
