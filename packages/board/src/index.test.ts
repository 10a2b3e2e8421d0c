import { describe, expect, it } from 'vitest';
import * as board from './index.js';

describe('@runwarden/board exports', () => {
  it('exposes exactly the public API the CLI wires in', () => {
    expect(Object.keys(board).sort()).toEqual(['createBoard']);
  });
});
