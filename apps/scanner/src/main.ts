// The scanner on its own: `node apps/scanner/dist/main.js [--config file]`.
import { runRole } from '@runwarden/core';
import { alertableTypes } from './route-event.js';
import { createScanner } from './scanner.js';

await runRole('scanner', async (deps) => {
  const scanner = createScanner({ ...deps, alertTypes: alertableTypes(deps.alerts) });
  await scanner.start();
  return scanner;
});
