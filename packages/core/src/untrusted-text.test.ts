import { describe, expect, it } from 'vitest';
import { oneLine, showControlChars } from './untrusted-text.js';

describe('showControlChars', () => {
  it('makes escape sequences, newlines and bidi overrides visible and keeps the rest', () => {
    expect(showControlChars('run-1\x1b[2J\x1b]52;c;aGk=\x07')).toBe(
      'run-1\\u001b[2J\\u001b]52;c;aGk=\\u0007',
    );
    expect(showControlChars('a\nb\r\u009bc\u202ed')).toBe('a\\u000ab\\u000d\\u009bc\\u202ed');
    expect(showControlChars('ünïcødé 漢字 🚀 tabs?')).toBe('ünïcødé 漢字 🚀 tabs?');
  });
});

describe('oneLine', () => {
  it('drops control characters, folds white space, trims and cuts', () => {
    expect(oneLine('  <html>\r\n\t<body>\x1b[31mboom\x1b[0m</body>  ')).toBe(
      '<html> <body> [31mboom [0m</body>',
    );
    expect(oneLine('x'.repeat(300), 200)).toBe(`${'x'.repeat(200)}…`);
    expect(oneLine('fake\nlevel=info msg="all good"')).toBe('fake level=info msg="all good"');
  });
});
