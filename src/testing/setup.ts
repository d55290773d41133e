// `bpfsig/testing/setup`: list it in vitest's `setupFiles` to register the bpfsig matchers in
// every test file (the same as calling `expect.extend(bpfsigMatchers)` yourself).

import { expect } from 'vitest';
import { bpfsigMatchers } from './matchers.js';

export type { BpfsigMatchers } from './index.js';

expect.extend(bpfsigMatchers);
