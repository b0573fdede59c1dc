import { describe, expect, it } from 'vitest';
import { getDecoder, getEncoder } from '../../../functions/drill/mysql-encodings';

describe('the character sets of the bundled MySQL driver', () => {
  it("reads the server's CESU-8 names as UTF-8, and a legacy code page's message byte for byte", () => {
    expect(getDecoder('cesu8').write(Buffer.from('10.11.19-MariaDB-ü', 'utf8'))).toBe('10.11.19-MariaDB-ü');
    expect(getDecoder('cp1250').write(Buffer.from('Rows matched: 1', 'latin1'))).toBe('Rows matched: 1');
    expect(getDecoder('latin1').write(Buffer.of(0xe9))).toBe('é');
  });

  it('sends only UTF-8', () => {
    expect(getEncoder('cesu8').write('é')).toEqual(Buffer.from('é', 'utf8'));
    expect(() => getEncoder('sjis')).toThrow('cannot send text in sjis');
  });
});
