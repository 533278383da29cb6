/**
 * Where JSON text first goes wrong, for error messages only: V8 names no position for an
 * unexpected token ("Unexpected token ']', … is not valid JSON"), yet a client needs to know
 * where its trailing comma is. One linear pass with an explicit stack (no recursion, so any
 * nesting is safe). Returns the offset of the first character that cannot continue valid
 * JSON, `text.length` when the text ends too early, or -1 when the text is valid.
 */
export function syntaxErrorPosition(text: string): number {
  const n = text.length;
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const stack: ('{' | '[')[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < n && ' \t\n\r'.includes(text[i]!)) i++;
  };
  /** Reads one string from its opening quote; false when it is malformed (i stays on the fault). */
  const readString = (): boolean => {
    for (i++; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        i++;
        if (i >= n) return false;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) return false;
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i]!)) return false;
      }
    }
    return false;
  };
  // 'value': a value is due; 'key': a member name is due; 'after': a value just ended.
  let state: 'value' | 'key' | 'after' = 'value';
  let opened = false; // the container just opened, so it may close at once
  for (;;) {
    skipSpace();
    if (i >= n) return state === 'after' && stack.length === 0 ? -1 : n;
    const c = text[i]!;
    if (state === 'after') {
      const top = stack[stack.length - 1];
      if (top === undefined) return i;
      if (c === ',') {
        i++;
        state = top === '{' ? 'key' : 'value';
      } else if ((c === ']' && top === '[') || (c === '}' && top === '{')) {
        i++;
        stack.pop();
      } else return i;
      opened = false;
      continue;
    }
    if (opened && ((c === ']' && state === 'value') || (c === '}' && state === 'key'))) {
      i++;
      stack.pop();
      state = 'after';
      opened = false;
      continue;
    }
    opened = false;
    if (state === 'key') {
      if (c !== '"' || !readString()) return i;
      skipSpace();
      if (text[i] !== ':') return i;
      i++;
      state = 'value';
      continue;
    }
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      state = c === '{' ? 'key' : 'value';
      opened = true;
      continue;
    }
    if (c === '"') {
      if (!readString()) return i;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (!match || match[0] === '-') return i;
      i += match[0].length;
    } else {
      const word = ['true', 'false', 'null'].find((w) => w[0] === c);
      if (!word) return i;
      for (let k = 0; k < word.length; k++, i++) if (text[i] !== word[k]) return i;
    }
    state = 'after';
  }
}
