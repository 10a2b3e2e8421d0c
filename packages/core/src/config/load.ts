/**
 * Reading config files, with every error pointing at file:line:column.
 *
 *   file ──parse (yaml, LineCounter)──▶ document ──${VAR} expansion──▶ plain object
 *        ──env overrides──▶ zod schema ──▶ typed config, or ConfigError(issues)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
  type Scalar,
} from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { expandEnv } from './env.js';
import {
  alertsConfigSchema,
  MATCH_FIELDS,
  runwardenConfigSchema,
  type AlertsConfig,
  type RunwardenConfig,
} from './schema.js';

interface ParsedFile {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  data: unknown;
}

function position(
  parsed: ParsedFile,
  offset: number | undefined,
): { line: number; column: number } {
  if (offset === undefined) return { line: 1, column: 1 };
  const { line, col } = parsed.lines.linePos(offset);
  return { line, column: col };
}

function keyName(pathParts: readonly PropertyKey[]): string {
  return pathParts.reduce<string>(
    (out, part) =>
      typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part),
    '',
  );
}

/** The deepest node of the document along `pathParts`, and how far it got. */
function nodeAt(
  doc: Document.Parsed,
  pathParts: readonly PropertyKey[],
): { node: Node | null; keyNode?: Node } {
  let node: unknown = doc.contents;
  for (const part of pathParts) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
      if (!pair) return { node: node as Node };
      if (pair.value === null || pair.value === undefined) return { node: pair.key as Node };
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number' && node.items[part]) {
      node = node.items[part];
    } else {
      break;
    }
  }
  return { node: (node as Node | null) ?? null };
}

function keyNodeIn(
  doc: Document.Parsed,
  mapPath: readonly PropertyKey[],
  key: string,
): Node | undefined {
  const { node } = nodeAt(doc, mapPath);
  if (!isMap(node)) return undefined;
  return node.items.find((p) => isScalar(p.key) && String(p.key.value) === key)?.key as
    Node | undefined;
}

function readYamlFile(file: string, env: NodeJS.ProcessEnv): ParsedFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError([
      {
        file,
        line: 1,
        column: 1,
        key: '',
        message: `${reason}; pass another file with --config or RUNWARDEN_CONFIG`,
      },
    ]);
  }
  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    // uniqueKeys is checked below in linear time: the library's own check compares every key
    // with every other one (20,000 keys took 12 s).
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  } catch (err) {
    throw unreadable(file, { line: 1, column: 1 }, err);
  }
  const parsed: ParsedFile = { file, doc, lines, data: undefined };
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        file,
        ...position(parsed, e.pos[0]),
        key: '',
        message: `invalid YAML: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  const duplicates = duplicateKeys(doc);
  if (duplicates.length > 0) {
    throw new ConfigError(
      duplicates.slice(0, MAX_ISSUES).map((key) => ({
        file,
        ...position(parsed, key.range?.[0]),
        key: '',
        message: `invalid YAML: Map keys must be unique; ${JSON.stringify(String(key.value))} appears again here`,
      })),
    );
  }
  const issues: ConfigIssue[] = [];
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('$')) return;
      const result = expandEnv(node.value, env);
      for (const r of result.required) {
        issues.push({
          file,
          ...position(parsed, node.range?.[0]),
          key: '',
          message: `environment variable ${r.name} is not set: ${r.message}`,
        });
      }
      node.value = result.value;
      if (result.unset.length > 0) (node as { unsetVars?: string[] }).unsetVars = result.unset;
    },
  });
  if (issues.length > 0) throw new ConfigError(issues);
  try {
    parsed.data = doc.toJS() ?? {};
  } catch (err) {
    // The yaml library refuses an alias bomb ("billion laughs") here, while expanding aliases.
    throw unreadable(file, position(parsed, firstAlias(doc)?.range?.[0]), err);
  }
  return parsed;
}

/** At most this many issues are reported: a person reads them, and finding each one's line costs. */
const MAX_ISSUES = 20;

function unreadable(file: string, at: { line: number; column: number }, err: unknown): ConfigError {
  const reason = err instanceof Error ? err.message : String(err);
  return new ConfigError([
    {
      file,
      ...at,
      key: '',
      message: `invalid YAML: ${reason.split('\n')[0]} (the file is refused as a whole; expand aliases by hand or simplify it)`,
    },
  ]);
}

function firstAlias(doc: Document.Parsed): Node | undefined {
  let found: Node | undefined;
  visit(doc, {
    Alias(_key, node) {
      found = node;
      return visit.BREAK;
    },
  });
  return found;
}

/** Keys that repeat within one mapping, in one pass with a set per mapping. */
function duplicateKeys(doc: Document.Parsed): Scalar[] {
  const repeated: Scalar[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const id = `${typeof pair.key.value}:${String(pair.key.value)}`;
        if (seen.has(id)) repeated.push(pair.key);
        seen.add(id);
      }
    },
  });
  return repeated;
}

function issuesFromZod(parsed: ParsedFile, error: z.ZodError): ConfigIssue[] {
  const shown = error.issues.slice(0, MAX_ISSUES).map((issue) => {
    const at = issue.path;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? '';
      const keyNode = keyNodeIn(parsed.doc, at, key);
      return {
        file: parsed.file,
        ...position(parsed, keyNode?.range?.[0] ?? nodeAt(parsed.doc, at).node?.range?.[0]),
        key: keyName([...at, key]),
        message: `unknown ${at.at(-1) === 'match' ? 'match field' : 'key'}${issue.keys.length > 1 ? `s ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : ` ${JSON.stringify(key)}`}${at.at(-1) === 'match' ? `; expected one of ${MATCH_FIELDS.join(', ')}` : ''}`,
      };
    }
    const { node } = nodeAt(parsed.doc, at);
    const unset = (node as { unsetVars?: string[] } | null)?.unsetVars;
    const hint = unset ? ` (environment variable ${unset.join(', ')} is not set)` : '';
    return {
      file: parsed.file,
      ...position(parsed, node?.range?.[0]),
      key: keyName(at),
      message: `${describeIssue(issue)}${hint}`,
    };
  });
  const more = error.issues.length - shown.length;
  if (more > 0)
    shown.push({
      file: parsed.file,
      line: 1,
      column: 1,
      key: '',
      message: `… and ${more} more problem(s) like these`,
    });
  return shown;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') {
    const got =
      issue.input === undefined
        ? 'nothing'
        : Array.isArray(issue.input)
          ? 'a list'
          : issue.input === null
            ? 'null'
            : `${typeof issue.input} ${JSON.stringify(issue.input)}`;
    return issue.input === undefined
      ? `is required (expected ${issue.expected})`
      : `expected ${issue.expected}, got ${got}`;
  }
  return issue.message;
}

function validate<S extends z.ZodType>(schema: S, parsed: ParsedFile, data: unknown): z.output<S> {
  const result = schema.safeParse(data, { reportInput: true });
  if (!result.success) throw new ConfigError(issuesFromZod(parsed, result.error));
  return result.data;
}

/** Environment variables that override config keys, applied after the file (an empty one counts as unset). */
const CONFIG_ENV: readonly (readonly [string, readonly string[]])[] = [
  ['REDIS_URL', ['redis', 'url']],
  ['RUNWARDEN_PREFIX', ['redis', 'prefix']],
  ['RUNWARDEN_DATABASE', ['database']],
  ['BOARD_HOST', ['board', 'host']],
  ['BOARD_PORT', ['board', 'port']],
  ['BOARD_USER', ['board', 'user']],
  ['BOARD_PASSWORD', ['board', 'password']],
  ['LOG_LEVEL', ['log', 'level']],
];

const ALERTS_ENV: readonly (readonly [string, readonly string[]])[] = [
  ['SLACK_WEBHOOK_URL', ['channels', 'slack', 'webhookUrl']],
  ['SMTP_HOST', ['channels', 'email', 'host']],
  ['SMTP_PORT', ['channels', 'email', 'port']],
  ['SMTP_USER', ['channels', 'email', 'user']],
  ['SMTP_PASS', ['channels', 'email', 'pass']],
  ['ALERT_EMAIL_FROM', ['channels', 'email', 'from']],
  ['ALERT_EMAIL_TO', ['channels', 'email', 'to']],
  ['ALERT_WEBHOOK_URL', ['channels', 'webhook', 'url']],
];

function applyEnvOverrides(
  data: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  table: typeof CONFIG_ENV,
): void {
  for (const [name, keyPath] of table) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let target = data;
    for (const key of keyPath.slice(0, -1)) {
      const next = target[key];
      target = (target[key] = next && typeof next === 'object' ? next : {}) as Record<
        string,
        unknown
      >;
    }
    target[keyPath.at(-1)!] = value;
  }
}

export interface LoadedConfig {
  /** Absolute path of runwarden.yaml. */
  file: string;
  config: RunwardenConfig;
  alertsFile: string;
  alerts: AlertsConfig;
}

export interface LoadConfigOptions {
  /** `--config`; else RUNWARDEN_CONFIG; else config/runwarden.yaml. */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Loads runwarden.yaml and the alerts file it names. Precedence, highest
 * first: flags (`configPath`), environment, file, schema defaults.
 * Relative paths in the result are resolved against `cwd`.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = path.resolve(
    cwd,
    options.configPath || env.RUNWARDEN_CONFIG || 'config/runwarden.yaml',
  );
  const parsed = readYamlFile(file, env);
  if (parsed.data === null || typeof parsed.data !== 'object' || Array.isArray(parsed.data)) {
    throw new ConfigError([
      {
        file,
        line: 1,
        column: 1,
        key: '',
        message: 'expected a mapping of settings at the top level',
      },
    ]);
  }
  const data = parsed.data as Record<string, unknown>;
  applyEnvOverrides(data, env, CONFIG_ENV);
  const config = validate(runwardenConfigSchema, parsed, data);
  config.database = path.resolve(cwd, config.database);
  config.paths = {
    worktrees: path.resolve(cwd, config.paths.worktrees),
    archive: path.resolve(cwd, config.paths.archive),
    reports: path.resolve(cwd, config.paths.reports),
  };
  const alertsFile = path.resolve(cwd, config.alerts);
  const alerts = loadAlertsConfig(alertsFile, env);
  return { file, config, alertsFile, alerts };
}

export function loadAlertsConfig(file: string, env: NodeJS.ProcessEnv = process.env): AlertsConfig {
  const parsed = readYamlFile(file, env);
  const data = (parsed.data && typeof parsed.data === 'object' ? parsed.data : {}) as Record<
    string,
    unknown
  >;
  applyEnvOverrides(data, env, ALERTS_ENV);
  return validate(alertsConfigSchema, parsed, data);
}
