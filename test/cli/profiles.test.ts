// bpfsig profiles: every registered scheme, profile and toolchain from the registries; the
// generated docs/schemes.md stays in step with the code. spec: PROF-1, OBS-DEB-40..45.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { schemesMarkdown } from '../../src/scenarios/schemes-doc.js';
import { runProbes } from '../../src/scenarios/probes.js';
import { allProfiles, getProfile } from '../../src/syscall/profiles/index.js';
import { toolchainNames } from '../../src/loader/gen-loader/profiles.js';
import { cli } from './support.js';

describe('bpfsig profiles', () => {
  it('--json lists every registered profile and toolchain, each under its scheme, with its stages', async () => {
    const r = await cli('profiles', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.format).toBe('bpfsig-profiles/1');
    const profiles = j.schemes.flatMap((s: { profiles: { name: string }[] }) => s.profiles.map((p) => p.name));
    expect(profiles.sort()).toEqual(allProfiles().map((p) => p.name).sort());
    const toolchains = j.schemes.flatMap((s: { toolchains: { name: string }[] }) => s.toolchains.map((t) => t.name));
    expect(toolchains.sort()).toEqual(toolchainNames().sort());
    const v617 = j.schemes.flatMap((s: { profiles: unknown[] }) => s.profiles).find((p: { name: string }) => p.name === 'v6.17');
    expect(v617.stagesVsDefault.removed).toEqual(['LOAD-9']);
  });

  it('text output names each scheme and marks the default profile', async () => {
    const r = await cli('profiles');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/scheme kp: /);
    expect(r.out).toMatch(/v6\.18 .*\[default\]/);
    expect((await cli('profiles', '--json', '--markdown')).code).toBe(2);
  });

  it('[OBS-DEB-40..45] the probes give what the Debian kernels gave: 6.18.15 and 7.2.12', () => {
    const rows = (name: string) => runProbes(getProfile(name)!).map((x) => x.result);
    // junk-sig, bad-keyring, zero-size, bad-pointer, oversize
    expect(rows('v6.18.15')).toEqual(['EBADMSG', 'EINVAL', 'EBADMSG', 'ENOMEM', 'EINVAL']);
    expect(rows('v7.2')).toEqual(['EBADMSG', 'EINVAL', 'EBADMSG', 'EFAULT', 'EINVAL']);
    expect(rows('v6.17')).toEqual(['E2BIG', 'E2BIG', 'E2BIG', 'E2BIG', 'E2BIG']);
  });

  it('docs/schemes.md is what `npm run docs` generates from the code (regenerate it after changing a scheme)', () => {
    const file = readFileSync(new URL('../../docs/schemes.md', import.meta.url), 'utf8');
    expect(file.trimEnd()).toBe(schemesMarkdown().trimEnd());
  });
});
