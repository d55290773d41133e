// Start every build from an empty dist/, so a file whose source was removed or renamed (or a
// source map from an older configuration) never reaches the package.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist/', import.meta.url), { recursive: true, force: true });
