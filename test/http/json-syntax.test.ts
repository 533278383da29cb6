import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { syntaxErrorPosition } from '../../src/http/json-syntax.js';

describe('syntaxErrorPosition (where a JSON error message points)', () => {
  it('points at the token V8 names without a position', () => {
    expect(syntaxErrorPosition('[{"a":1},\n]')).toBe(10);
    expect(syntaxErrorPosition('{"a": tru}')).toBe(9);
    expect(syntaxErrorPosition('{"a":1,}')).toBe(7);
    expect(syntaxErrorPosition('{"a" 1}')).toBe(5);
    expect(syntaxErrorPosition('"\\x"')).toBe(2);
  });
  it('says "the end" for text that stops early, and -1 for valid JSON', () => {
    expect(syntaxErrorPosition('{"a":[1,2')).toBe(9);
    expect(syntaxErrorPosition('')).toBe(0);
    expect(syntaxErrorPosition(' {"a":[1,{"b":null}]} ')).toBe(-1);
  });
  it('agrees with JSON.parse on which texts are valid (property, fixed seed)', () => {
    const valid = fc.jsonValue().map((v) => JSON.stringify(v, null, 1));
    fc.assert(
      fc.property(valid, (text) => syntaxErrorPosition(text) === -1),
      { seed: 11, numRuns: 500 },
    );
    const tokens = fc.constantFrom(...'{}[]",:0123456789.-eEtruefalsn \\u'.split(''));
    const noise = fc.array(tokens, { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(noise, (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        return (syntaxErrorPosition(text) === -1) === valid;
      }),
      { seed: 11, numRuns: 5000 },
    );
  });
});
