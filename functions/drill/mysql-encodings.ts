/**
 * The character sets of the bundled MySQL driver: esbuild puts this module in the place of `iconv-lite`
 * (BUNDLE_ALIASES in state-machines/lifeline-function.ts), which mysql2 asks only for an encoding Node's Buffer does
 * not know. The checks connect with utf8mb4, so the server sends every text as UTF-8 and binary values as bytes:
 * iconv-lite's tables of Asian and legacy code pages (~480 KB bundled) would never be read. Should a server still
 * send another encoding, the query fails with this message, and the check with it.
 *
 * Tests run the sources unbundled and so keep iconv-lite.
 */
type Decoder = { write(bytes: Buffer): string; end(): string | undefined };
type Encoder = { write(text: string): Buffer; end(): Buffer | undefined };

function nodeEncoding(encoding: string): BufferEncoding {
  const name = encoding.toLowerCase();
  if (Buffer.isEncoding(name)) return name;
  throw new Error(
    `the server sent text in ${encoding}; Lifeline's checks read only UTF-8 (they connect with utf8mb4) and Node's encodings`,
  );
}

export function getDecoder(encoding: string): Decoder {
  const name = nodeEncoding(encoding);
  return { write: (bytes) => bytes.toString(name), end: () => undefined };
}

export function getEncoder(encoding: string): Encoder {
  const name = nodeEncoding(encoding);
  return { write: (text) => Buffer.from(text, name), end: () => undefined };
}

export default { getDecoder, getEncoder };
