'use strict';

/**
 * mailparser calls `he.encode(value)` with the default options for every address header it parses (the HTML
 * form of From, To, Cc); nothing else of `he` runs for mail parsed with mailparser's HTML output skipped
 * (functions/mail/parse.ts). That call is done here with he's own three patterns for those defaults; its
 * entity tables load only for any other call (`decode`, `encode` with options, …).
 */
let real;
const load = () => (real ??= require('./load-deferred.cjs')('he'));

const UNSAFE = /["&'<>`]/g;
const ASTRAL = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
const NOT_PRINTABLE_ASCII = /[\x01-\t\x0B\f\x0E-\x1F\x7F\x81\x8D\x8F\x90\x9D\xA0-\uFFFF]/g;
const hexEscape = (codePoint) => `&#x${codePoint.toString(16).toUpperCase()};`;
const escapeUnit = (symbol) => hexEscape(symbol.charCodeAt(0));

function encodeWithDefaults(string) {
  return string
    .replace(UNSAFE, escapeUnit)
    .replace(ASTRAL, (pair) => hexEscape((pair.charCodeAt(0) - 0xd800) * 0x400 + pair.charCodeAt(1) - 0xdc00 + 0x10000))
    .replace(NOT_PRINTABLE_ASCII, escapeUnit);
}

module.exports = new Proxy(
  {
    encode(string, options) {
      return options === undefined && real === undefined ? encodeWithDefaults(string) : load().encode(string, options);
    },
  },
  {
    get: (target, key) => (key === 'encode' ? target.encode : load()[key]),
    has: (_target, key) => key in load(),
  },
);
