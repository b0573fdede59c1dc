/**
 * The character sets of the bundled MySQL driver: esbuild puts this module in the place of `iconv-lite`
 * (BUNDLE_ALIASES in state-machines/lifeline-function.ts), which mysql2 asks for any encoding Node's Buffer does not
 * know. The checks connect with utf8mb4, so every value arrives as UTF-8 (binary ones as bytes, which the checksum
 * reads raw) and what is left is the server's own words: its version and plugin names, which mysql2 reads as CESU-8
 * (UTF-8 for all a utf8mb3 string can hold), and messages in the server's default character set. iconv-lite's tables
 * of Asian and legacy code pages (~480 KB bundled) would serve only those messages, which are ASCII in practice, so
 * they are read as Latin-1 (every byte kept) rather than fail a check. Text is only ever sent as UTF-8.
 *
 * Tests of the checks run the sources unbundled, with iconv-lite; the workflow tests run the bundle, with this.
 */
type Decoder = { write(bytes: Buffer): string; end(): string | undefined };
type Encoder = { write(text: string): Buffer; end(): Buffer | undefined };

function readAs(encoding: string): BufferEncoding {
  const name = encoding.toLowerCase();
  if (name === 'cesu8') return 'utf8';
  return Buffer.isEncoding(name) ? name : 'latin1';
}

export function getDecoder(encoding: string): Decoder {
  const name = readAs(encoding);
  return { write: (bytes) => bytes.toString(name), end: () => undefined };
}

export function getEncoder(encoding: string): Encoder {
  const name = encoding.toLowerCase() === 'cesu8' ? 'utf8' : encoding.toLowerCase();
  if (!Buffer.isEncoding(name))
    throw new Error(`cannot send text in ${encoding}: Lifeline's checks send only UTF-8 (they connect with utf8mb4)`);
  return { write: (text) => Buffer.from(text, name), end: () => undefined };
}

export default { getDecoder, getEncoder };
