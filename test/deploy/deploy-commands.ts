/**
 * Finds the `runwarden` invocations in deployment files: the compose
 * services' commands and health checks, the Dockerfile's CMD and HEALTHCHECK,
 * and the systemd units' ExecStart lines. Each is returned as the argument
 * list that follows the program, with where it came from.
 */
export interface Invocation {
  /** e.g. `docker-compose.yml services.scanner.command`. */
  source: string;
  args: string[];
}

/** The program, as the image and the units run it. */
const PROGRAM = /(^|\/)runwarden(\.js)?$/;
const SHELL_OPERATORS = new Set(['|', '||', '&&', ';', '>', '>>', '<', '2>&1', '&']);

/** Splits shell-like text into words, honouring single and double quotes. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(pattern)) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}

/** Every run of words after the runwarden program, up to a shell operator or redirection. */
export function invocationsInWords(words: readonly string[], source: string): Invocation[] {
  const found: Invocation[] = [];
  words.forEach((word, i) => {
    if (!PROGRAM.test(word)) return;
    const args: string[] = [];
    for (const next of words.slice(i + 1)) {
      if (SHELL_OPERATORS.has(next) || /^\d?>/.test(next)) break;
      args.push(next);
    }
    found.push({ source, args });
  });
  return found;
}

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  healthcheck?: { test?: string | string[] };
}

/** Commands and health checks of the services that run the runwarden image (its entrypoint is the program). */
export function composeInvocations(compose: {
  services: Record<string, ComposeService>;
}): Invocation[] {
  const found: Invocation[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    const runsImage =
      service.build !== undefined || service.image?.startsWith('runwarden') === true;
    if (runsImage && service.entrypoint === undefined && service.command !== undefined) {
      const args = Array.isArray(service.command) ? service.command : shellWords(service.command);
      found.push({ source: `docker-compose.yml services.${name}.command`, args });
    }
    const test = service.healthcheck?.test;
    if (test !== undefined) {
      const words = Array.isArray(test)
        ? test.slice(1).flatMap((t) => (test[0] === 'CMD-SHELL' ? shellWords(t) : [t]))
        : shellWords(test);
      found.push(...invocationsInWords(words, `docker-compose.yml services.${name}.healthcheck`));
    }
  }
  return found;
}

/** Dockerfile instructions with their continuation lines joined. */
export function dockerfileInstructions(text: string): { keyword: string; rest: string }[] {
  const joined = text.replace(/\\\r?\n/g, ' ');
  return joined
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), rest: rest.join(' ') };
    });
}

/** The exec-form JSON array of an instruction, or undefined when it is shell form. */
export function execForm(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  return JSON.parse(rest) as string[];
}

export function dockerfileInvocations(text: string): Invocation[] {
  const found: Invocation[] = [];
  for (const { keyword, rest } of dockerfileInstructions(text)) {
    if (keyword === 'CMD')
      found.push({ source: 'Dockerfile CMD', args: execForm(rest) ?? shellWords(rest) });
    if (keyword === 'HEALTHCHECK') {
      const command = rest.slice(rest.indexOf('CMD') + 3).trim();
      found.push(
        ...invocationsInWords(execForm(command) ?? shellWords(command), 'Dockerfile HEALTHCHECK'),
      );
    }
  }
  return found;
}

/** `[Section] Key=value` pairs of a unit file, in order (keys may repeat). */
export function parseUnit(text: string): { section: string; key: string; value: string }[] {
  const entries: { section: string; key: string; value: string }[] = [];
  let section = '';
  for (const raw of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0)
      entries.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return entries;
}

/** ExecStart invocations of a unit; `%i` is replaced by each of `instances` for templates. */
export function unitInvocations(
  file: string,
  text: string,
  instances: readonly string[] = [],
): Invocation[] {
  const execs = parseUnit(text).filter((e) => e.section === 'Service' && e.key === 'ExecStart');
  const names = file.includes('@.') ? instances : [''];
  return names.flatMap((instance) =>
    execs.flatMap((e) =>
      invocationsInWords(
        shellWords(e.value.replaceAll('%i', instance)),
        `${file}${instance ? ` (%i=${instance})` : ''} ExecStart`,
      ),
    ),
  );
}
