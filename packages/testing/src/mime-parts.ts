/** The MIME parts of a message an SMTP stand-in received: headers (unfolded) and decoded body. */
export interface MimePart {
  headers: string;
  body: Buffer;
}

function decode(headers: string, text: string): Buffer {
  if (/content-transfer-encoding: base64/i.test(headers))
    return Buffer.from(text.replace(/\s+/g, ''), 'base64');
  if (/content-transfer-encoding: quoted-printable/i.test(headers))
    return Buffer.from(
      text
        .replace(/=\r\n/g, '')
        .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    );
  return Buffer.from(text);
}

export function mimeParts(raw: string): MimePart[] {
  const boundaries = [...raw.matchAll(/boundary="?([^";\r\n]+)"?/g)].map((m) => m[1]!);
  const found: MimePart[] = [];
  for (const b of boundaries)
    for (const chunk of raw.split(`--${b}`).slice(1, -1)) {
      const split = chunk.indexOf('\r\n\r\n');
      const headers = chunk.slice(0, split).replace(/\r\n(?=[ \t])/g, '');
      found.push({ headers, body: decode(headers, chunk.slice(split + 4).replace(/\r\n$/, '')) });
    }
  return found;
}

/** The plain-text part, decoded. */
export function plainText(raw: string): string {
  return (
    mimeParts(raw)
      .find((p) => /content-type: text\/plain/i.test(p.headers))
      ?.body.toString('utf8') ?? ''
  );
}

/** Attachments by file name. */
export function attachments(raw: string): Map<string, Buffer> {
  const byName = new Map<string, Buffer>();
  for (const p of mimeParts(raw)) {
    const name = /content-disposition: attachment;\s*filename="?([^";\r\n]+)"?/i.exec(
      p.headers,
    )?.[1];
    if (name) byName.set(name, p.body);
  }
  return byName;
}
