/**
 * The `runwarden` commands that deployment files may name — read from the
 * CLI's own commander program — and a checker for an argument list.
 */
export interface CliArgumentSpec {
  name: string;
  /** Allowed values; any value when absent. */
  choices?: readonly string[];
  /** Takes one or more values (must be last). */
  variadic?: boolean;
  /** @defaultValue true */
  required?: boolean;
}

export interface CliCommandSpec {
  /** The words that name the command, e.g. `['dlq', 'list']`. */
  path: readonly string[];
  args?: readonly CliArgumentSpec[];
  /** Options without a value. */
  flags?: readonly string[];
  /** Options followed by a value. */
  valueOptions?: readonly string[];
}

import type { Command } from 'commander';
import { createProgram } from '@runwarden/cli';

export { WORKER_ROLES } from '@runwarden/cli';

/** Options every command accepts, before or after the command name. */
export const GLOBAL_OPTIONS = {
  flags: ['--help', '-h', '--version', '-V'],
  valueOptions: ['--config', '-c', '--log-level'],
} as const;

function describe(command: Command, parents: readonly string[]): CliCommandSpec[] {
  const path = [...parents, command.name()];
  if (command.commands.length > 0) return command.commands.flatMap((c) => describe(c, path));
  const options = command.options.flatMap((o) =>
    [o.long, o.short]
      .filter((n): n is string => Boolean(n))
      .map((name) => ({ name, value: o.required || o.optional })),
  );
  return [
    {
      path,
      args: command.registeredArguments.map((a) => ({
        name: a.name(),
        variadic: a.variadic,
        required: a.required,
        ...(a.argChoices ? { choices: a.argChoices } : {}),
      })),
      flags: options.filter((o) => !o.value).map((o) => o.name),
      valueOptions: options.filter((o) => o.value).map((o) => o.name),
    },
  ];
}

/** The real command tree, read from the CLI's commander program. */
export const CLI_COMMANDS: readonly CliCommandSpec[] = (
  await createProgram(
    { stdout: process.stdout, stderr: process.stderr, env: {}, cwd: process.cwd() },
    () => undefined,
  )
).commands.flatMap((c) => describe(c, []));

function findCommand(tokens: readonly string[]): CliCommandSpec | undefined {
  const matching = CLI_COMMANDS.filter((c) => c.path.every((word, i) => tokens[i] === word));
  return matching.sort((a, b) => b.path.length - a.path.length)[0];
}

/** Splits `--config=file` into `--config file`. */
function expandEquals(argv: readonly string[]): string[] {
  return argv.flatMap((t) =>
    t.startsWith('--') && t.includes('=')
      ? [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]
      : [t],
  );
}

function checkArguments(spec: CliCommandSpec, positionals: readonly string[]): string[] {
  const problems: string[] = [];
  const args = spec.args ?? [];
  const name = spec.path.join(' ');
  let i = 0;
  for (const arg of args) {
    const values = arg.variadic ? positionals.slice(i) : positionals.slice(i, i + 1);
    i += values.length;
    if (values.length === 0 && arg.required !== false)
      problems.push(`\`${name}\` needs <${arg.name}>`);
    for (const v of values) {
      if (arg.choices && !arg.choices.includes(v))
        problems.push(`\`${name}\`: ${JSON.stringify(v)} is not one of ${arg.choices.join(', ')}`);
    }
  }
  if (i < positionals.length)
    problems.push(`\`${name}\` takes no argument ${JSON.stringify(positionals[i])}`);
  return problems;
}

/** Problems with an argument list (what follows `runwarden`); empty when it names a real command correctly. */
export function checkCliArgs(argv: readonly string[]): string[] {
  const tokens = expandEquals(argv);
  const problems: string[] = [];
  const rest: string[] = [];
  let spec: CliCommandSpec | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!spec && !token.startsWith('-')) {
      spec = findCommand(tokens.slice(i));
      if (!spec) return [`unknown command ${JSON.stringify(tokens.slice(i).join(' '))}`];
      i += spec.path.length - 1;
      continue;
    }
    if (!token.startsWith('-') || token === '-') {
      rest.push(token);
    } else if (
      (GLOBAL_OPTIONS.valueOptions as readonly string[]).includes(token) ||
      spec?.valueOptions?.includes(token)
    ) {
      if (i + 1 >= tokens.length) problems.push(`option ${token} needs a value`);
      i += 1;
    } else if (
      !(GLOBAL_OPTIONS.flags as readonly string[]).includes(token) &&
      !spec?.flags?.includes(token)
    ) {
      problems.push(`unknown option ${token}${spec ? ` for \`${spec.path.join(' ')}\`` : ''}`);
    }
  }
  if (!spec) return [...problems, 'no command given'];
  return [...problems, ...checkArguments(spec, rest)];
}
