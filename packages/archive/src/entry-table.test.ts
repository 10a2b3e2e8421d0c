import { describe, expect, it } from 'vitest';
import { EntryTable } from './entry-table.js';

describe('EntryTable', () => {
  it('keeps entries as columns and gives them back as they were added', () => {
    const table = new EntryTable();
    const added = Array.from({ length: 3000 }, (_, i) => ({
      name: i % 3 === 0 ? `dir-${i}/` : `files/résumé ✓ ${i}.txt`,
      kind: i % 3 === 0 ? ('dir' as const) : ('file' as const),
      size: i % 3 === 0 ? 0 : i * 1_000_003,
      mode: i % 3 === 0 ? 0o40755 : 0o100644,
      mtimeSec: 1_700_000_000 + i,
      mtimeNsec: 123_456_789,
    }));
    for (const entry of added) table.add(entry);
    table.add({
      name: 'link',
      kind: 'symlink',
      size: 4,
      mode: 0o120777,
      mtimeSec: -1,
      mtimeNsec: 5,
      linkTarget: Buffer.from('a/b'),
    });
    expect(table.count).toBe(3001);
    expect(table.entries().slice(0, 3000)).toEqual(added);
    expect(table.entry(3000)).toMatchObject({ kind: 'symlink', linkTarget: Buffer.from('a/b') });
    expect(table.linkTarget(1)).toBeUndefined();
  });

  it('hands out a range of names and columns relative to its start', () => {
    const table = new EntryTable();
    for (const name of ['a', 'bé', 'c/', 'dd'])
      table.add({ name, kind: 'file', size: 1, mode: 0o100644, mtimeSec: 0, mtimeNsec: 0 });
    expect(table.nameRange(1, 3).toString()).toBe('béc/');
    expect(table.nameBuffer(1).toString()).toBe('bé');
    const columns = table.columns(1, 3);
    expect([...columns.nameEnds]).toEqual([3, 5]);
    expect(columns.sizes).toHaveLength(2);
    expect(table.nameRange(2, 2)).toHaveLength(0);
  });
});
