/** The roles one runwarden process can play. */
export const WORKER_ROLES = ['archive', 'report', 'alert'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];
export type Role = 'scanner' | WorkerRole | 'board';
