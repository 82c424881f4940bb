// The parts of libmime and libqp (mailparser's own encoders, which ship no type declarations) that outbound
// composition uses.
declare module 'libmime' {
  const libmime: {
    /** RFC 2047 encoded words for the whole of `data`, each at most `maxLength` characters. */
    encodeWord(data: string, mimeWordEncoding: 'Q' | 'B', maxLength?: number): string;
    /** Folds a header line at `lineLength` characters, breaking at whitespace. */
    foldLines(line: string, lineLength?: number, afterSpace?: boolean): string;
  };
  export default libmime;
}

declare module 'libqp' {
  const libqp: {
    encode(data: string | Buffer): string;
    decode(encoded: string): Buffer;
    /** Inserts soft line breaks so no line is longer than `lineLength`. */
    wrap(encoded: string, lineLength?: number): string;
  };
  export default libqp;
}
