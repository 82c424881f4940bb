/**
 * The part of a reply that its writer typed: quoted history, attribution lines ("On … wrote:"), forwarded
 * header blocks and signatures are removed so a ticket shows each message's new words once.
 *
 * Everything is line-based and bounded: a body is cut to a fixed number of characters and lines before any
 * pattern runs, every pattern runs on one short line (or a span of at most three), and the reply-parser
 * library is only asked about short lines, a bounded number of times. Every line is visited a bounded number
 * of times, so the work is linear in the capped body.
 */
import EmailReplyParser from 'email-reply-parser';
// @ts-expect-error -- html-to-text 10 ships no type declarations (see HtmlToTextCompile below for the shape used).
import { compile as untypedCompileHtmlToText } from 'html-to-text';

/**
 * Only this many leading characters of a text body are examined; new text is at the top of a reply. What is
 * stored of a message's text is cut at 64,000 characters anyway, so nothing past this could be kept.
 */
export const MAX_TEXT_CHARS = 64 * 1024;
/** Only this many leading lines of a text body are examined. */
export const MAX_TEXT_LINES = 2_000;
/** Only this many leading characters of an HTML body are parsed. */
export const MAX_HTML_CHARS = 512 * 1024;
/**
 * Only the HTML before this many tags is parsed: htmlparser2 keeps open elements in an array it shifts and
 * searches, so its cost grows with depth × tags (170,000 nested tags take seconds, 20,000 a few dozen ms).
 */
export const MAX_HTML_TAGS = 20_000;
/** HTML nested deeper than this is not rendered; quoted history nests, what a person writes rarely does. */
export const MAX_HTML_DEPTH = 100;
/** Child nodes rendered per HTML element. */
export const MAX_HTML_CHILD_NODES = 2_000;
/** A line longer than this is never taken for an attribution, header or separator. */
export const MAX_MARKER_LINE_CHARS = 400;
/**
 * Lines handed to email-reply-parser are at most this long: several of its patterns backtrack
 * polynomially (`.+\s.+`, `.+\son.*at.*wrote`), harmless at this length, seconds at a few thousand.
 */
export const LIBRARY_PROBE_MAX_CHARS = 200;
/** At most this many lines of one body are handed to email-reply-parser. */
export const LIBRARY_MAX_PROBES = 40;

interface HtmlNode {
  type: string;
  data?: string;
  children?: HtmlNode[];
}

interface TextBuilder {
  openBlock(options?: { leadingLineBreaks?: number }): void;
  closeBlock(options?: { trailingLineBreaks?: number }): void;
  addLiteral(text: string): void;
}

type Walk = (nodes: HtmlNode[] | undefined, builder: TextBuilder) => void;
type FormatCallback = (elem: HtmlNode, walk: Walk, builder: TextBuilder, options: Record<string, unknown>) => void;

interface SelectorDefinition {
  selector: string;
  format?: string;
  options?: Record<string, unknown>;
}

interface HtmlToTextOptions {
  wordwrap: false;
  decodeEntities: boolean;
  limits: { ellipsis: string; maxDepth: number; maxChildNodes: number; maxInputLength: number };
  formatters: Record<string, FormatCallback>;
  selectors: SelectorDefinition[];
}

type HtmlToTextCompile = (options: HtmlToTextOptions) => (html: string) => string;

const compileHtmlToText: HtmlToTextCompile = untypedCompileHtmlToText;

/** Private-use character the HTML renderer writes where quoted history starts; nothing after it is kept. */
const CUT = '\uE000';

// ---------------------------------------------------------------------------------------------------------
// Line vocabulary

/** Verbs that end an attribution line, in the languages mail clients write them. */
const WROTE =
  'wrote|writes|escribió|escribio|escreveu|ha scritto|scritto|schreef|schrieb|skrev|napisał\\(a\\)|napisała|napisał|' +
  'pisze|kirjoitti|написал\\(а\\)|написала|написал|пишет|írta|yazdı|napsal|napísal|έγραψε|a écrit|écrit|' +
  'のメッセージ|작성';

/** Words an attribution opens with ("On …", "Le …", "Am …", "W dniu …"). */
const OPENER = '(?:On|Le|El|Il|Em|Op|Am|Den|Dne|W dniu|Dnia|In data|Il giorno)\\s';

/** Weekday and month abbreviations that open a date-first attribution ("ср, 30 апр.", "tir. 18. apr."). */
const DAY_OR_MONTH =
  'mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|' +
  'jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|' +
  'пн|вт|ср|чт|пт|сб|вс|man|tir|ons|tor|fre|lør|søn|mo|di|mi|do|fr|sa|so|lun|mer|jeu|ven|sam|dim|' +
  'mié|jue|vie|sáb|dom|ma|ti|ke|to|pe|la|su|seg|ter|qua|qui|sex|gio|sab|wo|vr|za|zo';

/** "On <date>, <name> wrote:" and its translations; the verb ends the line. */
const ATTRIBUTION_ON = new RegExp(`^${OPENER}.{0,400}?(?:${WROTE})(?:\\s?[:：])?$`, 'iu');
/** "Am <date> schrieb <name>:": the verb in the middle, a colon at the end. */
const ATTRIBUTION_VERB_INSIDE = /^(?:Am|Den|Op|El|Le)\s.{0,200}?\s(?:schrieb|skrev|schreef|escribió|a écrit)\s.{1,200}[:：]$/iu;
/** "30.09.2017, 18.30, "Name" <a@b>:" and "02.04.2012 14:20 пользователь … написал:": a date first. */
const ATTRIBUTION_DATE_FIRST = new RegExp(
  `^(?:\\d|(?:${DAY_OR_MONTH})\\.?,?\\s{1,3}\\d).{0,400}(?:@[^\\s@]{0,200}|${WROTE})\\s?[:：]$`,
  'iu',
);
/** QQ / Foxmail / Apple zh: "在 2024年1月1日 10:00，support <support@x.com> 写道：". */
const ATTRIBUTION_ZH_AT = /^在.{0,300}?[写寫]道\s?[:：]?$/u;
/** Gmail zh: "support <support@x.com> 于2024年1月1日周一 10:00写道：". */
const ATTRIBUTION_ZH_GMAIL = /^.{0,200}?于\s?\d{4}\s?年.{0,100}?[写寫]道\s?[:：]?$/u;

/** A line that may close an attribution: it ends with a colon or with one of the verbs. */
const ENDS_LIKE_ATTRIBUTION = new RegExp(`(?:[:：]|${WROTE}|[写寫]道)$`, 'iu');
const DATE_OR_TIME = /\d{1,2}[:.]\d{2}|(?:19|20)\d{2}|\d{1,4}[./-]\d{1,2}[./-]\d{1,4}/u;
const HAS_WROTE = new RegExp(`(?:${WROTE}|[写寫]道)`, 'iu');

/** "-----Original Message-----", "------------------ 原始邮件 ------------------", Gmail's forward line. */
const SEPARATOR_PHRASE =
  /^[-\s]{2,}(?:original message|oprindelig besked|message d'origine|ursprüngliche nachricht|originalnachricht|mensaje original|messaggio originale|mensagem original|oorspronkelijk bericht|alkuperäinen viesti|исходное сообщение|forwarded message|weitergeleitete nachricht|message transféré|原始邮件|原始郵件|原邮件|转发邮件信息|转发的邮件)[-\s]{2,}$/iu;
/** Apple Mail's forward line, which has no dashes. */
const FORWARD_LINE = /^(?:Begin forwarded message|Anfang der weitergeleiteten Nachricht|Début du message réexpédié)\s?[:：]$/iu;
/** A line of rule characters only, as clients put above a header block. */
const RULE_LINE = /^\s{0,8}[-_=*~—–]{3,}\s*$/u;
/** A line of underscores only: Outlook's rule above "From:", Mailman's list footer. */
const UNDERSCORE_LINE = /^\s*_{2,}\s*$/u;
/** The mbox separator `git format-patch` writes above a patch: "From <sha> Mon Sep 17 00:00:00 2001". */
const MBOX_FROM_LINE = /^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]?\d \d{2}:\d{2}:\d{2} \d{4}$/u;

/** Header keys that name the sender in a quoted header block, in the clients' languages. */
const FROM_KEYS =
  'From|De|Von|Van|Da|Fra|Från|Od|От|Kimden|Lähettäjä|Feladó|Afzender|Remitente|Expéditeur|Mittente|发件人|寄件者|寄件人|差出人|보낸 사람';
/** Other keys of such a block: date, recipients, subject. */
const OTHER_KEYS =
  'Sent|Date|To|Cc|Bcc|Subject|Reply-To|Envoyé le|Envoyé|À|A|Objet|Copie à|Gesendet|Datum|An|Betreff|Kopie|' +
  'Verzonden|Aan|Onderwerp|Inviato|Data|Oggetto|Enviado|Enviada|Fecha|Para|Asunto|Assunto|Sendt|Dato|Til|Emne|' +
  'Skickat|Till|Ämne|Отправлено|Дата|Кому|Тема|Копия|Wysłano|Do|Temat|Lähetetty|Vastaanottaja|Aihe|Gönderildi|' +
  'Kime|Konu|Tarih|Elküldve|Címzett|Tárgy|Message du|发送时间|发送日期|时间|日期|收件人|抄送|主题|寄件日期|收件者|副本|主旨|送信日時|宛先|件名';
const HEADER_LINE = new RegExp(`^\\s{0,8}\\*{0,2}(${FROM_KEYS}|${OTHER_KEYS})\\*{0,2}\\s{0,3}[:：]`, 'u');
const FROM_HEADER_LINE = new RegExp(`^\\s{0,8}\\*{0,2}(?:${FROM_KEYS})\\*{0,2}\\s{0,3}[:：]`, 'u');

/** The conventional signature delimiter "-- " (clients and editors often drop its space). */
const SIGNATURE_DELIMITER = /^--\s?$/u;

/** Lines mobile clients append to what a person types. */
const DEVICE_SIGNATURE = [
  /^Sent (?:from|with|via|using) \S/u,
  /^Get Outlook for \S/u,
  /^Envoyé (?:de mon|depuis|à partir de) \S/u,
  /^Télécharger Outlook pour \S/u,
  /^Von meinem \S.{0,40} gesendet$/u,
  /^Gesendet (?:von|mit) \S/u,
  /^Enviado (?:desde|de|do) \S/u,
  /^Inviato da \S/u,
  /^(?:Verzonden|Verstuurd) (?:vanaf|met) \S/u,
  /^Sendt fra \S/u,
  /^Skickat från \S/u,
  /^Отправлено (?:с|из) \S/u,
  /^(?:发自|来自|寄自)\s?我的\s?\S.{0,20}$/u,
  /^(?:发自|来自)\s?(?:网易邮箱|QQ邮箱|Outlook|iPhone|iPad|Android|HUAWEI|华为|小米)/u,
  /^(?:从|從)我的\s?\S.{0,20}(?:发送|傳送)$/u,
  /^获取 Outlook for \S/u,
  /^iPhoneから送信$/u,
];
/** A device line is a short phrase: no sentence punctuation once links are set aside. */
const SENTENCE_PUNCTUATION = /[,;.!?，。！？；]/u;
const MAX_DEVICE_SIGNATURE_CHARS = 100;

/** A quoted line wrapped by the sender's client continues without `>` after a long quoted line. */
const WRAPPED_QUOTE_MIN_CHARS = 60;
/** The unquoted tail of a wrapped line goes on with the sentence: it starts with a lower-case letter. */
const CONTINUES_IN_LOWER_CASE = /^\s{0,8}\p{Ll}/u;
/** Blank lines allowed between an attribution and the quote it introduces. */
const MAX_BLANKS_BEFORE_QUOTE = 3;
/** Runs of this many blank lines or more become one blank line. */
const COLLAPSE_BLANK_RUN_AT = 3;

// ---------------------------------------------------------------------------------------------------------
// Entry point

/**
 * The new text a person wrote in this message: quoted history and signature removed. A message that opens with
 * pasted or forwarded mail (a phishing mail a customer asks about, a patch) has no history to remove: all of it,
 * the pasted mail and the words around it, is what the writer sent.
 */
export function extractVisibleText(body: { text?: string; html?: string }): string {
  try {
    const text = typeof body?.text === 'string' ? body.text.slice(0, MAX_TEXT_CHARS) : '';
    if (text.trim() !== '') {
      return visibleFromText(text);
    }
    const html = typeof body?.html === 'string' ? body.html.slice(0, MAX_HTML_CHARS) : '';
    if (html.trim() !== '') {
      return visibleFromText(htmlToText(html));
    }
    return '';
  } catch {
    // A body that trips a library must not stop the message from being stored; it just shows no new text.
    return '';
  }
}

function visibleFromText(text: string): string {
  const lines = toLines(text);
  const { kept, pasted } = dropHistory(lines);
  // A signature delimiter inside pasted mail belongs to that mail; cutting there would lose what follows it.
  return tidy(dropSignature(kept, { cutAtDelimiter: !pasted }));
}

function toLines(text: string): string[] {
  const lines = text.slice(0, MAX_TEXT_CHARS).replace(/\r\n?/gu, '\n').split('\n', MAX_TEXT_LINES);
  // Gmail wraps "… <a@b.com\n>:" so that the closing bracket looks like a quoted line; put it back.
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const previous = lines[i - 1] ?? '';
    if (/^\s*>\s?[:：]\s*$/u.test(line) && !isBlank(previous) && previous.lastIndexOf('<') > previous.lastIndexOf('>')) {
      lines[i - 1] = `${previous.trimEnd()}>:`;
      lines[i] = '';
    }
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------------
// Quoted history

/**
 * Keeps the lines a person wrote: `>` blocks go with the attribution that introduces them (the text around
 * them stays, so bottom-posted and inline replies survive), and the first unquoted marker of history — an
 * attribution with no `>` block after it, a separator, a header block — ends the new text. A marker with
 * nothing typed above it does not end anything: it opens pasted mail, which is kept to the end (`pasted`).
 */
function dropHistory(lines: string[]): { kept: string[]; pasted: boolean } {
  const kept: number[] = [];
  const probes = { left: LIBRARY_MAX_PROBES };
  let floor = 0;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (isBlank(line)) {
      kept.push(i);
      i++;
      continue;
    }
    if (isQuoted(line)) {
      dropLooseAttribution(kept, lines, i, floor);
      dropTrailingBlanks(kept, lines);
      i = quoteBlockEnd(lines, i);
      floor = i;
      continue;
    }
    const spanStart = attributionEndingAt(lines, i, floor);
    if (spanStart >= 0) {
      while (kept.length > 0 && (kept[kept.length - 1] ?? -1) >= spanStart) {
        kept.pop();
      }
      const next = nextNonBlank(lines, i + 1, MAX_BLANKS_BEFORE_QUOTE);
      if (next >= 0 && isQuoted(lines[next] ?? '')) {
        dropTrailingBlanks(kept, lines);
        i = quoteBlockEnd(lines, next);
        floor = i;
        continue;
      }
      if (!typedAbove(kept, lines)) {
        return keptThenRest(kept, lines, spanStart);
      }
      break;
    }
    if (startsHistory(lines, i, probes)) {
      if (!typedAbove(kept, lines)) {
        return keptThenRest(kept, lines, i);
      }
      while (kept.length > 0 && isBlankOrRule(lines[kept[kept.length - 1] ?? 0] ?? '')) {
        kept.pop();
      }
      break;
    }
    kept.push(i);
    i++;
  }
  return { kept: kept.map((index) => lines[index] ?? ''), pasted: false };
}

/** Has the writer typed anything among the kept lines? Blank lines and an mbox "From " separator are not typing. */
function typedAbove(kept: number[], lines: string[]): boolean {
  return kept.some((index) => {
    const line = lines[index] ?? '';
    return !isBlank(line) && !(isMarkerSized(line) && MBOX_FROM_LINE.test(line));
  });
}

function keptThenRest(kept: number[], lines: string[], from: number): { kept: string[]; pasted: true } {
  return { kept: [...kept.map((index) => lines[index] ?? ''), ...lines.slice(from)], pasted: true };
}

/** The blank lines above a removed quote would otherwise double the gap left by it. */
function dropTrailingBlanks(kept: number[], lines: string[]): void {
  while (kept.length > 0 && isBlank(lines[kept[kept.length - 1] ?? 0] ?? '')) {
    kept.pop();
  }
}

function isBlank(line: string): boolean {
  return line.trim() === '';
}

function isQuoted(line: string): boolean {
  return /^ {0,3}>/u.test(line);
}

function isBlankOrRule(line: string): boolean {
  return isBlank(line) || RULE_LINE.test(line);
}

function isMarkerSized(line: string): boolean {
  return line.length <= MAX_MARKER_LINE_CHARS;
}

function nextNonBlank(lines: string[], from: number, maxBlanks: number): number {
  for (let j = from; j < lines.length && j <= from + maxBlanks; j++) {
    if (!isBlank(lines[j] ?? '')) {
      return j;
    }
  }
  return -1;
}

/** Index just past the `>` block starting at `start`, blank lines inside it and client-wrapped lines included. */
function quoteBlockEnd(lines: string[], start: number): number {
  let j = start;
  while (j < lines.length) {
    const line = lines[j] ?? '';
    if (isQuoted(line)) {
      j++;
      continue;
    }
    if (isBlank(line)) {
      let k = j;
      while (k < lines.length && isBlank(lines[k] ?? '')) {
        k++;
      }
      if (k < lines.length && isQuoted(lines[k] ?? '')) {
        j = k;
        continue;
      }
      return j;
    }
    const wrappedEnd = wrappedQuoteEnd(lines, j);
    if (wrappedEnd < 0) {
      return j;
    }
    j = wrappedEnd;
  }
  return j;
}

/**
 * Clients that wrap after quoting leave the tail of a long `>` line unquoted ("> … pharetra d" / "ignissim
 * odio?" / ">"). One or two such lines squeezed between a long quoted line and the next quoted line belong to
 * the quote when they carry on its sentence, in lower case. A line that opens a sentence of its own ("Yes,
 * since 2.3.", "可以") is an answer typed between the quotes, even with no blank line around it.
 */
function wrappedQuoteEnd(lines: string[], j: number): number {
  const previous = lines[j - 1] ?? '';
  if (!isQuoted(previous) || previous.length < WRAPPED_QUOTE_MIN_CHARS || !CONTINUES_IN_LOWER_CASE.test(lines[j] ?? '')) {
    return -1;
  }
  for (let k = j; k < j + 3 && k < lines.length; k++) {
    const line = lines[k] ?? '';
    if (isQuoted(line)) {
      return k > j ? k : -1;
    }
    if (isBlank(line)) {
      return -1;
    }
  }
  return -1;
}

/**
 * When a `>` block begins, the line just above it (blank lines aside) is its attribution if it reads like
 * one: it ends with a colon and names an address, a date or a "wrote". "My answers below:" stays.
 */
function dropLooseAttribution(kept: number[], lines: string[], quoteStart: number, floor: number): void {
  let k = kept.length - 1;
  for (let steps = 0; k >= 0 && steps <= MAX_BLANKS_BEFORE_QUOTE && isBlank(lines[kept[k] ?? 0] ?? ''); steps++) {
    k--;
  }
  const index = kept[k];
  if (index === undefined || index < floor || quoteStart - index > MAX_BLANKS_BEFORE_QUOTE + 1) {
    return;
  }
  const line = trimDashes(lines[index] ?? '');
  if (!isMarkerSized(line) || !/[:：]$/u.test(line)) {
    return;
  }
  if (line.includes('@') || DATE_OR_TIME.test(line) || HAS_WROTE.test(line)) {
    kept.length = k;
  }
}

/**
 * If line `end` closes an attribution ("On … wrote:"), the index of its first line, else -1. Clients wrap
 * attributions over two or three lines ("On Mon, … The Hiring Engine <" / "a@b.com> wrote:"), so the
 * smallest span of up to three unbroken lines that reads as an attribution from its first word wins.
 */
function attributionEndingAt(lines: string[], end: number, floor: number): number {
  const last = trimDashes(lines[end] ?? '');
  if (!isMarkerSized(last) || !ENDS_LIKE_ATTRIBUTION.test(last)) {
    return -1;
  }
  let span = '';
  for (let start = end; start >= floor && start > end - 3; start--) {
    const line = lines[start] ?? '';
    if (isBlank(line) || isQuoted(line) || !isMarkerSized(line)) {
      return -1;
    }
    span = trimDashes(start === end ? line : `${line.trim()} ${span}`);
    if (isAttribution(span)) {
      return start;
    }
  }
  return -1;
}

function isAttribution(span: string): boolean {
  if (ATTRIBUTION_ZH_AT.test(span) || ATTRIBUTION_ZH_GMAIL.test(span)) {
    return /\d/u.test(span);
  }
  if (!/\d/u.test(span)) {
    return false;
  }
  return ATTRIBUTION_ON.test(span) || ATTRIBUTION_VERB_INSIDE.test(span) || ATTRIBUTION_DATE_FIRST.test(span);
}

function trimDashes(line: string): string {
  let start = 0;
  let end = line.length;
  while (start < end && /[-\s]/u.test(line[start] ?? '')) {
    start++;
  }
  while (end > start && /[-\s]/u.test(line[end - 1] ?? '')) {
    end--;
  }
  return line.slice(start, end);
}

/** Does the history (a forward or an unquoted original) start at line `i`? */
function startsHistory(lines: string[], i: number, probes: { left: number }): boolean {
  const line = lines[i] ?? '';
  if (!isMarkerSized(line)) {
    return false;
  }
  if (SEPARATOR_PHRASE.test(line) || FORWARD_LINE.test(line.trim())) {
    return true;
  }
  if (HEADER_LINE.test(line) && isHeaderBlock(lines, i)) {
    return true;
  }
  if (UNDERSCORE_LINE.test(line)) {
    const next = nextNonBlank(lines, i + 1, 1);
    return next >= 0 && FROM_HEADER_LINE.test(lines[next] ?? '');
  }
  return libraryFindsQuoteHeader(lines, i, probes);
}

/**
 * A quoted header block: from line `i`, unbroken lines of which at least two carry a header key and one of
 * them names the sender ("From:", "发件人：", "De :"). One unkeyed line may sit inside (a wrapped address).
 */
function isHeaderBlock(lines: string[], i: number): boolean {
  let keyed = 0;
  let hasFrom = false;
  let unkeyed = 0;
  for (let j = i; j < lines.length && j < i + 8; j++) {
    const line = lines[j] ?? '';
    if (isBlank(line) || !isMarkerSized(line)) {
      break;
    }
    if (HEADER_LINE.test(line)) {
      keyed++;
      hasFrom ||= FROM_HEADER_LINE.test(line);
    } else if (++unkeyed > 1) {
      break;
    }
  }
  return keyed >= 2 && hasFrom;
}

/**
 * email-reply-parser knows quote headers in more languages than the patterns above. It is asked about one
 * short line, or two for a wrapped header, when a blank line precedes it (as the library itself requires);
 * a header followed by a `>` block is left to the quote handling so a bottom-posted reply survives.
 */
function libraryFindsQuoteHeader(lines: string[], i: number, probes: { left: number }): boolean {
  const line = lines[i] ?? '';
  if (probes.left <= 0 || (i > 0 && !isBlank(lines[i - 1] ?? '')) || line.length > LIBRARY_PROBE_MAX_CHARS) {
    return false;
  }
  // A header worth cutting at carries a date, dashes or an address; "On Monday, Ann wrote" in prose does not.
  if (!/[\d@-]/u.test(line)) {
    return false;
  }
  const next = lines[i + 1] ?? '';
  const spans = [[line]];
  if (!isBlank(next) && !isQuoted(next) && next.length <= LIBRARY_PROBE_MAX_CHARS) {
    spans.push([line, next]);
  }
  for (const span of spans) {
    if (probes.left <= 0) {
      return false;
    }
    probes.left--;
    const fragments = new EmailReplyParser().read(`\n${span.join('\n')}`).getFragments();
    if (fragments.some((fragment) => fragment.isQuoted())) {
      const after = nextNonBlank(lines, i + span.length, MAX_BLANKS_BEFORE_QUOTE);
      return !(after >= 0 && isQuoted(lines[after] ?? ''));
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------
// Signature

/** Cuts at the signature delimiter (unless told not to), then drops device lines ("Sent from my iPhone") that end the text. */
function dropSignature(lines: string[], options: { cutAtDelimiter: boolean }): string[] {
  const delimiter = options.cutAtDelimiter
    ? lines.findIndex((line) => SIGNATURE_DELIMITER.test(line) || UNDERSCORE_LINE.test(line))
    : -1;
  const kept = delimiter >= 0 ? lines.slice(0, delimiter) : lines.slice();
  for (;;) {
    let last = kept.length - 1;
    while (last >= 0 && isBlank(kept[last] ?? '')) {
      last--;
    }
    if (last < 0 || !isDeviceSignature(kept[last] ?? '')) {
      return kept.slice(0, last + 1);
    }
    kept.length = last;
  }
}

function isDeviceSignature(line: string): boolean {
  const trimmed = line.trim();
  if (trimmed.length > MAX_DEVICE_SIGNATURE_CHARS || !DEVICE_SIGNATURE.some((pattern) => pattern.test(trimmed))) {
    return false;
  }
  // "Sent from my desk, is much easier…" is a sentence; "Sent with Sparrow (http://…)" is not.
  const withoutLinks = trimmed.replace(/<[^<>]*>|\([^()]*\)/gu, '');
  return !SENTENCE_PUNCTUATION.test(withoutLinks) && withoutLinks.split(/\s+/u).length <= 8;
}

// ---------------------------------------------------------------------------------------------------------
// Output

function tidy(lines: string[]): string {
  const out: string[] = [];
  let blanks = 0;
  const flush = (): void => {
    const keep = blanks >= COLLAPSE_BLANK_RUN_AT ? 1 : blanks;
    for (let b = 0; b < keep; b++) {
      out.push('');
    }
    blanks = 0;
  };
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (line === '') {
      blanks++;
      continue;
    }
    flush();
    out.push(line);
  }
  return out.join('\n').trim();
}

// ---------------------------------------------------------------------------------------------------------
// HTML

/**
 * Containers that hold only quoted history. They render as a lone `>` line, so the attribution above them
 * goes with them and any text after them (a bottom-posted reply) stays.
 */
const QUOTE_CONTAINERS = [
  'blockquote',
  '.yahoo_quoted',
  '.protonmail_quote',
  '.zmail_extra',
  'div[data-marker="__QUOTED_TEXT__"]',
];

/** Elements after which everything is history (Outlook puts the original after its header, unquoted). */
const HISTORY_STARTS = [
  '#divRplyFwdMsg',
  '#appendonsend',
  'hr#stopSpelling',
  '.OutlookMessageHeader',
  '#mail-editor-reference-message-container',
];

let htmlConverter: ((html: string) => string) | undefined;

function htmlToText(html: string): string {
  htmlConverter ??= compileHtmlToText({
    wordwrap: false,
    decodeEntities: true,
    limits: {
      ellipsis: '',
      maxDepth: MAX_HTML_DEPTH,
      maxChildNodes: MAX_HTML_CHILD_NODES,
      maxInputLength: MAX_HTML_CHARS,
    },
    formatters: { outlookHeader: formatOutlookHeader },
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'hr', format: 'skip' },
      { selector: 'div.moz-cite-prefix', format: 'skip' },
      // Signatures the clients mark as such; the text part carries them after "-- ".
      { selector: '.gmail_signature', format: 'skip' },
      { selector: '.moz-signature', format: 'skip' },
      { selector: '#Signature', format: 'skip' },
      // Outlook writes one <p class=MsoNormal> per line; paragraph spacing would double every line break.
      { selector: 'p.MsoNormal', format: 'block', options: { leadingLineBreaks: 1, trailingLineBreaks: 1 } },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
      // Cells keep a space between them and rows a line break: by default they run together, and twelve words
      // pasted into a table would read as one word, hiding a recovery phrase from redaction.
      { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false, maxColumnWidth: MAX_HTML_CHARS, colSpacing: 1, rowSpacing: 0 } },
      // Gmail's quote wrapper holds the attribution and the quoted blockquotes, and, in an inline reply, the
      // answers typed between them: it renders as a plain block so that only the blockquotes become `>`.
      { selector: 'div.gmail_quote', format: 'block' },
      { selector: 'div.gmail_quote_container', format: 'block' },
      ...QUOTE_CONTAINERS.map((selector) => ({ selector, format: 'blockString', options: { string: '>' } })),
      { selector: 'div[style*="border-top"]', format: 'outlookHeader' },
      ...HISTORY_STARTS.map((selector) => ({ selector, format: 'blockString', options: { string: CUT } })),
    ],
  });
  const rendered = htmlConverter(capTags(html.slice(0, MAX_HTML_CHARS)).replaceAll(CUT, ''));
  const cut = rendered.indexOf(CUT);
  return cut >= 0 ? rendered.slice(0, cut) : rendered;
}

/** The HTML before its (MAX_HTML_TAGS + 1)-th tag. */
function capTags(html: string): string {
  let tags = 0;
  for (let at = html.indexOf('<'); at >= 0; at = html.indexOf('<', at + 1)) {
    if (/[a-zA-Z/!]/u.test(html[at + 1] ?? '') && ++tags > MAX_HTML_TAGS) {
      return html.slice(0, at);
    }
  }
  return html;
}

/**
 * Outlook and Windows Mail open the quoted original with a `border-top` div holding its header block
 * ("From: … Sent: …", "От: … Отправлено: …"). Other bordered divs are ordinary content.
 */
function formatOutlookHeader(elem: HtmlNode, walk: Walk, builder: TextBuilder): void {
  builder.openBlock({ leadingLineBreaks: 1 });
  if (HEADER_LINE.test(leadingText(elem, 200))) {
    builder.addLiteral(CUT);
  } else {
    walk(elem.children, builder);
  }
  builder.closeBlock({ trailingLineBreaks: 1 });
}

/** The first `limit` characters of an element's text, visiting a bounded number of nodes. */
function leadingText(elem: HtmlNode, limit: number): string {
  let text = '';
  const stack: HtmlNode[] = [elem];
  for (let visited = 0; stack.length > 0 && visited < 500 && text.length < limit; visited++) {
    const node = stack.pop();
    if (node?.type === 'text') {
      text += node.data ?? '';
    }
    const children = node?.children ?? [];
    for (let c = Math.min(children.length, 50) - 1; c >= 0; c--) {
      const child = children[c];
      if (child) {
        stack.push(child);
      }
    }
  }
  return text.replace(/\s+/gu, ' ').trimStart().slice(0, limit);
}
