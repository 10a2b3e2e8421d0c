/** One line of `runwarden doctor`'s checklist: what was checked, how it went, and the fix. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  /** `database`, `redis`, `folders`, `channels`, `board`, `leases`. */
  group: string;
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do, for `warn` and `fail`. */
  fix?: string;
}

export const ok = (group: string, name: string, detail: string): DoctorCheck => ({
  group,
  name,
  status: 'ok',
  detail,
});

export const warn = (group: string, name: string, detail: string, fix: string): DoctorCheck => ({
  group,
  name,
  status: 'warn',
  detail,
  fix,
});

export const fail = (group: string, name: string, detail: string, fix: string): DoctorCheck => ({
  group,
  name,
  status: 'fail',
  detail,
  fix,
});

export const errorText = (err: unknown): string =>
  err instanceof Error ? err.message : String(err);
