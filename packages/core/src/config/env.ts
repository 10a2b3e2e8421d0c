/**
 * `${VAR}`, `${VAR:-default}` and `${VAR:?message}` in config values, as in
 * Docker Compose. An unset `${VAR}` becomes empty (a channel whose settings
 * are empty is disabled); `${VAR:?…}` makes an unset variable an error.
 */
export interface Expansion {
  value: string;
  /** Variables that were unset and had no default. */
  unset: string[];
  /** `${VAR:?message}` references whose variable was unset. */
  required: { name: string; message: string }[];
}

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*)|(:?\?)([^}]*))?\}|\$\$/g;

export function expandEnv(text: string, env: NodeJS.ProcessEnv): Expansion {
  const unset: string[] = [];
  const required: Expansion['required'] = [];
  const value = text.replace(
    REFERENCE,
    (whole, name?: string, dashOp?: string, fallback?: string, qOp?: string, message?: string) => {
      if (whole === '$$') return '$';
      const raw = env[name!];
      const empty = raw === undefined || ((dashOp === ':-' || qOp === ':?') && raw === '');
      if (!empty) return raw!;
      if (dashOp) return fallback ?? '';
      if (qOp) {
        required.push({ name: name!, message: message || 'is required' });
        return '';
      }
      unset.push(name!);
      return '';
    },
  );
  return { value, unset, required };
}
