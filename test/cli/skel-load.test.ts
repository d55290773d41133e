// `bpfsig skel load`: the issue D acceptance cases through the command line (exit codes, the JSON
// object, the text timeline), keyring placements, tampering, and bad input.
// spec: LSK-RUN-1..7, KP-META-1..3, KP-LOAD-3, KP-LSM-3, KP-AUD-1/2, OBS-AUD-1, OBS-LOAD-2/5,
// PK7-KEY-1..7, KP-Q-5, KP-ERR-9, TC-BT77-4/5.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeShared, fixturePath } from '../support/shared.js';
import { cli, cliJson, noStackTrace, tempDir } from './support.js';

const skel = (obj: string, flavor: string) => fixturePath('bpf', obj, `${obj}.${flavor}.lskel.h`);
const cert = (form: 'pem' | 'der' = 'pem') => fixturePath('keys', 'signing-rsa2048', `cert.${form}`);

type Call = { sys: number; parent: number | null; depth: number; kernel: boolean; call: string; cmd: string | null; size: number | null; attr: Record<string, unknown> | null; ret: number; errno: string | null; events: any[] };
const outer = (tl: Call[]) => tl.filter((c) => c.call === 'bpf' && !c.kernel);
const hooksNamed = (tl: Call[], hook: string) => tl.flatMap((c) => c.events.filter((e) => e.kind === 'hook' && e.hook === hook).map((e) => ({ ...e, sys: c.sys })));

describeShared('bpfsig skel load on the fixture skeletons', () => {
  it('[KP-META-1, OBS-AUD-1] the signed minimal skeleton with the shared certificate in the session keyring loads: exit 0, maps and programs with fds and ids, LOAD records for the loader and the inner program', async () => {
    const { code, json } = await cliJson('skel', 'load', skel('minimal', 'v77-signed'), '--cert', cert(), '--json');
    expect(code).toBe(0);
    expect(json).toMatchObject({ format: 'bpfsig-skel-load/1', result: 0, errno: null, errstr: null, loaderRetval: 0, profile: 'v6.18' });
    expect(json.keyring).toEqual({ placement: 'session', keyringId: -3, cert: true, addKey: { ret: expect.any(Number), errno: null } });
    expect(Object.keys(json.maps)).toEqual(['hits', 'rodata', 'bss']);
    expect(json.maps.bss).toMatchObject({ name: 'minimal_.bss', type: 'BPF_MAP_TYPE_ARRAY', fd: expect.any(Number), id: expect.any(Number) });
    expect(Object.values(json.progs)).toEqual([expect.objectContaining({ type: 'BPF_PROG_TYPE_TRACEPOINT', tag: expect.stringMatching(/^[0-9a-f]{16}$/) })]);
    const bpfLines = (json.audit as string[]).filter((l) => l.startsWith('type=BPF'));
    expect(bpfLines.map((l) => l.replace(/^.*\): /, ''))).toEqual(['prog-id=1 op=LOAD', 'prog-id=2 op=LOAD', 'prog-id=1 op=UNLOAD']);
    // The keyring_id the skeleton passed is in the loader's PROG_LOAD attr.
    const load = outer(json.timeline).find((c) => c.cmd === 'BPF_PROG_LOAD')!;
    expect(load.attr).toMatchObject({ keyring_id: -3, signature_size: 375 });
  });

  it('[KP-META-2, KP-LSM-3, AUD-FP-1] one byte of the data blob flipped: PROG_LOAD succeeds, the hook saw the signature, LOAD is audited, TEST_RUN returns 0 with retval -22, the skeleton returns -EINVAL; exit 1', async () => {
    const { code, json } = await cliJson('skel', 'load', skel('minimal', 'v77-signed'), '--cert', cert('der'), '--tamper', 'data:100', '--json');
    expect(code).toBe(1);
    expect(json).toMatchObject({ result: -22, errno: 'EINVAL', errstr: 'error returned by loader prog', loaderRetval: -22 });
    expect(json.tampers).toEqual([{ blob: 'data', offset: 100, before: expect.any(Number), after: expect.any(Number) }]);
    expect(json.tampers[0].before ^ json.tampers[0].after).toBe(1);
    const tl: Call[] = json.timeline;
    const load = outer(tl).find((c) => c.cmd === 'BPF_PROG_LOAD')!;
    expect(load.ret).toBeGreaterThanOrEqual(0);
    expect(load.events.find((e) => e.kind === 'stage' && e.id === 'LOAD-9' && !('enter' in e))).toMatchObject({ errno: null });
    const hooks = hooksNamed(tl, 'bpf_prog_load');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({ sys: load.sys, ret: 0, args: { prog: '__loader.prog', kernel: false, signature_size: 375 } });
    expect(hooks[0].args.signature).not.toBe('0x0');
    expect(load.events).toContainEqual(expect.objectContaining({ kind: 'audit', type: 'BPF', text: 'prog-id=1 op=LOAD' }));
    const run = outer(tl).find((c) => c.cmd === 'BPF_PROG_TEST_RUN')!;
    expect(run).toMatchObject({ ret: 0, errno: null });
    expect(run.events).toContainEqual(expect.objectContaining({ kind: 'stage', id: 'TRUN-2', ret: -22 }));
    expect(tl.filter((c) => c.kernel)).toEqual([]); // the loader created nothing
    expect(json.maps).toEqual({});
    expect((json.audit as string[]).some((l) => /type=BPF .*prog-id=1 op=LOAD$/.test(l))).toBe(true);
  });

  it('[KP-LOAD-3] one byte of the loader instructions flipped: PROG_LOAD fails with EKEYREJECTED, no bpf_prog_load hook, no AUDIT_BPF record', async () => {
    const { code, json } = await cliJson('skel', 'load', skel('minimal', 'v77-signed'), '--cert', cert(), '--tamper', 'insns:0x1c', '--json');
    expect(code).toBe(1);
    expect(json).toMatchObject({ result: -129, errno: 'EKEYREJECTED', errstr: 'failed to load loader prog', loaderRetval: null });
    expect(hooksNamed(json.timeline, 'bpf_prog_load')).toEqual([]);
    expect((json.audit as string[]).filter((l) => l.startsWith('type=BPF'))).toEqual([]);
  });

  it('a flipped signature byte: the load fails in LOAD-9 (the PKCS#7 check), nothing loads', async () => {
    const { code, json } = await cliJson('skel', 'load', skel('minimal', 'v77-signed'), '--cert', cert(), '--tamper', 'sig:370', '--json');
    expect(code).toBe(1);
    expect(json.errstr).toBe('failed to load loader prog');
    const load = outer(json.timeline).find((c) => c.cmd === 'BPF_PROG_LOAD')!;
    expect(load.events.find((e) => e.kind === 'stage' && e.id === 'LOAD-9' && !('enter' in e))).toMatchObject({ errno: json.errno });
  });

  it('[KP-Q-5, KP-ERR-9, PK7-KEY-1] keyring placements: builtin/secondary/platform load with keyring_id 0/1/2; no certificate at all gives ENOKEY with keyring_id 0', async () => {
    for (const [where, id] of [['builtin', 0], ['secondary', 1], ['platform', 2]] as const) {
      const { code, json } = await cliJson('skel', 'load', skel('minimal', 'v77-signed'), '--cert', cert(), '--keyring', where, '--json');
      expect({ where, code, result: json.result }).toEqual({ where, code: 0, result: 0 });
      expect(json.keyring).toEqual({ placement: where, keyringId: id, cert: true, addKey: null });
      expect(outer(json.timeline).find((c) => c.cmd === 'BPF_PROG_LOAD')!.attr!.keyring_id ?? 0).toBe(id);
      expect(json.timeline.some((c: Call) => c.call === 'add_key')).toBe(false);
    }
    const none = await cliJson('skel', 'load', skel('minimal', 'v77-signed'), '--json');
    expect(none.code).toBe(1);
    expect(none.json).toMatchObject({ keyring: { placement: null, keyringId: 0, cert: false }, errno: 'ENOKEY', errstr: 'failed to load loader prog' });
    // The certificate in the session keyring while the skeleton still passes keyring_id 0 (its default).
    const raw = await cliJson('skel', 'load', skel('minimal', 'v77-signed'), '--keyring', '0', '--json');
    expect(raw.json.errno).toBe('ENOKEY');
  });

  it('[KP-META-3] --no-hash: map->sha never computed, the loader returns -EINVAL; [STB-2] --no-freeze on v6.18-stable: GET_INFO fails EPERM', async () => {
    const noHash = await cliJson('skel', 'load', skel('minimal', 'v77-signed'), '--cert', cert(), '--no-hash', '--json');
    expect(noHash.json).toMatchObject({ result: -22, loaderRetval: -22, errstr: 'error returned by loader prog' });
    expect(outer(noHash.json.timeline).map((c) => c.cmd)).not.toContain('BPF_OBJ_GET_INFO_BY_FD');
    const noFreeze = await cliJson('skel', 'load', skel('minimal', 'v77-signed'), '--cert', cert(), '--no-freeze', '--profile', 'v6.18-stable', '--json');
    expect(noFreeze.json).toMatchObject({ profile: 'v6.18-stable', errno: 'EPERM', errstr: 'failed to fetch obj info' });
  });

  it('[OBS-LOAD-2, OBS-LOAD-5] v6.18.44: the signed loader fails EOPNOTSUPP and the audit log shows success=no exit=-95', async () => {
    const { code, json } = await cliJson('skel', 'load', skel('minimal', 'v77-signed'), '--cert', cert(), '--profile', 'v6.18.44', '--json');
    expect(code).toBe(1);
    expect(json).toMatchObject({ errno: 'EOPNOTSUPP', result: -95 });
    expect((json.audit as string[]).filter((l) => / a0=5 /.test(l))).toEqual([expect.stringContaining('success=no exit=-95 ')]);
  });

  it('[LSK-RUN-9, OBS 09] a bpftool 7.1 skeleton runs libbpf 1.1\'s sequence (72/32/128/80) and loads', async () => {
    const { code, json } = await cliJson('skel', 'load', skel('multi', 'v71'), '--json');
    expect(code).toBe(0);
    expect(outer(json.timeline).map((c) => `${c.cmd}/${c.size}`)).toEqual(['BPF_MAP_CREATE/72', 'BPF_MAP_UPDATE_ELEM/32', 'BPF_PROG_LOAD/128', 'BPF_PROG_TEST_RUN/80']);
  });

  it('JSON timeline shape: calls in entry order; nested bpf_sys_bpf calls name their parent, have depth 1 and a "call" marker in the parent', async () => {
    const { json } = await cliJson('skel', 'load', skel('minimal', 'v77'), '--json');
    const tl: Call[] = json.timeline;
    expect(tl.map((c) => c.sys)).toEqual([...tl.map((c) => c.sys)].sort((a, b) => a - b));
    const run = tl.find((c) => c.cmd === 'BPF_PROG_TEST_RUN')!;
    const nested = tl.filter((c) => c.parent === run.sys);
    expect(nested.length).toBeGreaterThan(0);
    for (const c of nested) {
      expect(c).toMatchObject({ depth: 1, kernel: true, call: 'bpf' });
      expect(run.events).toContainEqual({ kind: 'call', sys: c.sys });
    }
    // LSK-INNER-1's order for minimal's maps (hits, rodata, bss): .rodata is frozen right after its update.
    expect(nested.map((c) => c.cmd)).toEqual(['BPF_BTF_LOAD', 'BPF_MAP_CREATE', 'BPF_MAP_CREATE', 'BPF_MAP_UPDATE_ELEM', 'BPF_MAP_FREEZE', 'BPF_MAP_CREATE', 'BPF_MAP_UPDATE_ELEM', 'BPF_PROG_LOAD']);
    const kinds = new Set(tl.flatMap((c) => c.events.map((e) => e.kind)));
    for (const k of ['stage', 'hook', 'object', 'fd', 'audit', 'helper', 'call']) expect(kinds).toContain(k);
    for (const c of tl) expect(Object.keys(c)).toEqual(['sys', 'parent', 'depth', 'pid', 'kernel', 'call', 'cmd', 'size', 'attr', 'args', 'outcome', 'ret', 'errno', 'notEmulated', 'nonFd', 'oops', 'events']);
  });

  it('text output: setup line, timeline, result line with errstr and retval; the full audit log only with --audit', async () => {
    const plain = await cli('skel', 'load', skel('minimal', 'v77-signed'), '--cert', cert(), '--tamper', 'data:100');
    expect(plain.code).toBe(1);
    expect(plain.out).toMatch(/certificate added to the session keyring with add_key \(key \d+\); keyring_id -3; tampered: data\[100\] 0x[0-9a-f]{2} → 0x[0-9a-f]{2}/);
    expect(plain.out).toMatch(/== timeline\n#1 add_key\(type=asymmetric, description=.*cert\.pem/);
    expect(plain.out).toMatch(/#\d+ bpf\(BPF_PROG_LOAD, size=168\)  pid \d+  → fd \d+/);
    expect(plain.out).toMatch(/lsm {4}bpf_prog_load\(prog=__loader\.prog, .*signature_size=375/);
    expect(plain.out).toMatch(/audit {2}BPF prog-id=1 op=LOAD/);
    expect(plain.out).toMatch(/^result: -EINVAL \(-22\) {2}errstr "error returned by loader prog" {2}loader retval -22$/m);
    expect(plain.out).not.toMatch(/type=SYSCALL/);
    const withAudit = await cli('skel', 'load', skel('minimal', 'v77-signed'), '--cert', cert(), '--audit');
    expect(withAudit.code).toBe(0);
    expect(withAudit.out).toMatch(/== audit log \(auditd format\)\ntype=SYSCALL msg=audit\(/);
    expect(withAudit.out).toMatch(/^result: 0 \(loaded\) {2}errstr none {2}loader retval 0$/m);
    expect(withAudit.out).toMatch(/^ {2}maps\.hits +fd \d+ {2}map id \d+ 'hits' BPF_MAP_TYPE_ARRAY$/m);
  });

  it('an offset outside a blob is an input error naming the blob size; a sig tamper on an unsigned skeleton too', async () => {
    const r = await cli('skel', 'load', skel('minimal', 'v77-signed'), '--tamper', 'data:99999');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/data:99999: offset outside the data blob \(opts_data\), which is 3192 bytes \(offsets 0\.\.3191\)/);
    const s = await cli('skel', 'load', skel('minimal', 'v77'), '--tamper', 'sig:0');
    expect(s.code).toBe(3);
    expect(s.err).toMatch(/no signature \(opts_sig\)/);
    expect(noStackTrace(r.err + s.err)).toBe(true);
  });

  it('an unreadable or malformed certificate is an input error', async () => {
    const dir = tempDir();
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    const r = await cli('skel', 'load', skel('minimal', 'v77-signed'), '--cert', junk);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/--cert '.*junk\.pem': not a certificate/);
    const m = await cli('skel', 'load', skel('minimal', 'v77-signed'), '--cert', join(dir, 'missing.pem'));
    expect(m.code).toBe(3);
    expect(m.err).toMatch(/cannot read certificate '.*missing\.pem': ENOENT/);
    // A DER blob that is not a certificate: the kernel's add_key refuses it; the load then shows what happens without the key.
    const bad = join(dir, 'bad.der');
    writeFileSync(bad, Uint8Array.of(0x30, 0x82, 0x00, 0x03, 1, 2, 3));
    const k = await cliJson('skel', 'load', skel('minimal', 'v77-signed'), '--cert', bad, '--json');
    expect(k.json.keyring.addKey).toMatchObject({ ret: expect.any(Number), errno: expect.any(String) });
    expect(k.json.keyring.addKey.ret).toBeLessThan(0);
    expect(k.code).toBe(1);
  });
});

describe('bpfsig skel load: usage and input errors (no fixtures needed)', () => {
  it('usage errors exit 2 with the usage', async () => {
    for (const argv of [['skel'], ['skel', 'run', 'x.h'], ['skel', 'load'], ['skel', 'load', 'a.h', 'b.h'], ['skel', 'load', 'a.h', '--tamper', 'data'], ['skel', 'load', 'a.h', '--tamper', 'bss:1'], ['skel', 'load', 'a.h', '--keyring', 'user'], ['skel', 'load', 'a.h', '--profile', 'v9.9'], ['skel', 'load', 'a.h', '--cert', 'c.pem', '--keyring', '5']]) {
      const r = await cli(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.err).toMatch(/usage: bpfsig skel load/);
      expect(noStackTrace(r.err)).toBe(true);
    }
  });

  it('a missing file and a file that is not a light skeleton exit 3 with a clear message', async () => {
    const missing = await cli('skel', 'load', '/nonexistent/x.lskel.h');
    expect(missing).toMatchObject({ code: 3 });
    expect(missing.err).toMatch(/cannot read skeleton '\/nonexistent\/x\.lskel\.h': ENOENT/);
    const dir = tempDir();
    const notSkel = join(dir, 'plain.h');
    writeFileSync(notSkel, '#include <stdio.h>\nint main(void) { return 0; }\n');
    const r = await cli('skel', 'load', notSkel);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/plain\.h: no light-skeleton struct/);
    expect(noStackTrace(r.err)).toBe(true);
  });

  it('--help lists the profiles and keyring placements', async () => {
    const r = await cli('skel', '--help');
    expect(r.code).toBe(0);
    for (const s of ['v6.17', 'v6.18', 'v6.18-stable', 'v6.18.44', 'session', 'builtin', 'secondary', 'platform', '--tamper', '--audit']) expect(r.out).toContain(s);
  });
});
