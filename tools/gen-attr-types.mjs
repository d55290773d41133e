#!/usr/bin/env node
// `npm run gen:attr-types`: writes src/abi/uapi/attr-types.ts from the layout tables (the generator
// is src/abi/uapi/gen-attr-types.ts, run from the build). test/abi/attr-types.test.ts fails when the
// committed file differs from what it makes.

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateAttrTypes } from '../dist/abi/uapi/gen-attr-types.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'abi', 'uapi', 'attr-types.ts');
writeFileSync(out, generateAttrTypes());
process.stderr.write(`gen-attr-types: wrote ${out}\n`);
