#!/usr/bin/env python3
"""Run a bpfsig-transcript/1 plan on the real kernel and write the transcript of what it answered.

    capture.py PLAN.json -o OUT.json      capture (the plan's steps carry no `expect`)
    capture.py --check TRANSCRIPT.json    re-run a transcript; per step, does the kernel still agree?
    capture.py --layouts                  check the attr/info offsets with gcc (kernel BTF and uapi header)
    capture.py --dump-layouts             print the offset tables as JSON (for the repository's tests)

Python standard library only: bpf(2), add_key(2), keyctl(2), close(2) and dup2(2) are raw
syscalls through ctypes. The value forms are those of ../shared/fixtures/TRANSCRIPTS.md; see
README.md next to this file. Must run as root on the kernel to be recorded.
"""

import argparse
import ctypes
import errno as errno_mod
import gzip
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # keep the repository free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layouts as L  # noqa: E402

SYS_close, SYS_dup2, SYS_add_key, SYS_keyctl, SYS_bpf = 3, 33, 248, 250, 321
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_REVOKE, KEYCTL_UNLINK = 1, 3, 9
KEY_SPEC = {
    'KEY_SPEC_THREAD_KEYRING': -1, 'KEY_SPEC_PROCESS_KEYRING': -2, 'KEY_SPEC_SESSION_KEYRING': -3,
    'KEY_SPEC_USER_KEYRING': -4, 'KEY_SPEC_USER_SESSION_KEYRING': -5, 'KEY_SPEC_GROUP_KEYRING': -6,
}
FAULT_ADDR = 0x10  # the address TRANSCRIPTS.md gives `{ "fault": true }`
# Kernel errno names where Python's table picks an alias or has none (524 is kernel-internal).
ERRNO_NAMES = {95: 'EOPNOTSUPP', 11: 'EAGAIN', 35: 'EDEADLK', 524: 'ENOTSUPP', 512: 'ERESTARTSYS'}
CAPS = {'CAP_NET_ADMIN': 12, 'CAP_SYS_ADMIN': 21, 'CAP_PERFMON': 38, 'CAP_BPF': 39}
CONFIG_KEYS = ['CONFIG_SYSTEM_DATA_VERIFICATION', 'CONFIG_BPF_LSM', 'CONFIG_KEYS', 'CONFIG_PKCS7_MESSAGE_PARSER',
               'CONFIG_X509_CERTIFICATE_PARSER', 'CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY']
HIGH_FD_BASE = 900  # where stray fds of this process are moved, so the kernel hands out 3, 4, … as in a fresh process

_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long


class PlanError(Exception):
    """A plan that cannot be run as written (bad form, unknown step, missing file)."""


def errno_name(e):
    return ERRNO_NAMES.get(e) or errno_mod.errorcode.get(e, f'E{e}')


def raw_syscall(nr, *args):
    """(ret, errno) of a raw syscall; ret is -1 on failure as in libc."""
    ctypes.set_errno(0)
    ret = _syscall(ctypes.c_long(nr), *[ctypes.c_long(a) if isinstance(a, int) else a for a in args])
    return ret, (ctypes.get_errno() if ret < 0 else 0)


def u64(v):
    return v & 0xFFFFFFFFFFFFFFFF


# ---- process memory --------------------------------------------------------------------------


class Placed:
    """A buffer placed in this process's memory for one pointer form."""

    __slots__ = ('buf', 'addr', 'len', 'struct', 'inner')

    def __init__(self, data, struct_layout=None):
        self.buf = ctypes.create_string_buffer(bytes(data), max(len(data), 1))
        self.addr = ctypes.addressof(self.buf)
        self.len = len(data)
        self.struct = struct_layout
        self.inner = {}

    def read(self):
        return ctypes.string_at(self.addr, self.len)


class StepResult:
    __slots__ = ('ret', 'bufs')

    def __init__(self, ret, bufs):
        self.ret = ret
        self.bufs = bufs


# ---- running a plan --------------------------------------------------------------------------


class Runner:
    def __init__(self, plan, plan_path):
        self.plan = plan
        self.plan_path = plan_path
        self.results = {}
        self.opened_fds = set()
        self.keys_added = []  # (serial, keyring serial or KEY_SPEC value)
        self.session = None

    # -- roots and files --

    def root_dir(self, name):
        name = name or self.plan.get('root') or 'shared/fixtures'
        if name == 'shared/fixtures':
            shared = os.environ.get('BPFSIG_SHARED', '/work/shared')
            return os.path.join(shared, 'fixtures')
        if os.path.isabs(name):
            return name
        return os.path.join(os.path.dirname(os.path.abspath(self.plan_path)), name)

    def file_bytes(self, form):
        path = form['file'] if os.path.isabs(form['file']) else os.path.join(self.root_dir(form.get('root')), form['file'])
        try:
            with open(path, 'rb') as f:
                data = bytearray(f.read())
        except OSError as e:
            raise PlanError(f"fixture file {form['file']}: {e.strerror} ({path})") from None
        if 'flip' in form:
            off = form['flip']
            if not 0 <= off < len(data):
                raise PlanError(f"flip offset {off} outside {form['file']} ({len(data)} bytes)")
            data[off] ^= 0x01
        return data

    # -- value forms --

    def fd_of(self, form):
        if isinstance(form, int):
            return form
        if isinstance(form, str):
            form = {'fd': form}
        if isinstance(form, dict) and 'fd' in form:
            ref = form['fd']
            if isinstance(ref, int):
                return ref
            rec = self.results.get(ref)
            if rec is None:
                raise PlanError(f'fd reference to unknown step {ref!r}')
            if 'out' in form:
                b = rec.bufs.get(canonical_out(form['out']))
                if b is None:
                    raise PlanError(f"step {ref!r} has no output buffer {form['out']!r}")
                off = form.get('offset', 0)
                return struct.unpack_from('<i', b.read(), off)[0]
            return rec.ret
        raise PlanError(f'bad fd reference {form!r}')

    def key_of(self, form):
        if isinstance(form, int):
            return form
        if isinstance(form, str):
            if form in KEY_SPEC:
                return KEY_SPEC[form]
            raise PlanError(f'unknown keyring {form!r}')
        if isinstance(form, dict) and isinstance(form.get('key'), str):
            rec = self.results.get(form['key'])
            if rec is None:
                raise PlanError(f"key reference to unknown step {form['key']!r}")
            return rec.ret
        raise PlanError(f'bad key reference {form!r}')

    def place(self, form, name, bufs):
        """Place a pointer form; return its address (0x10 for a fault)."""
        if not isinstance(form, dict):
            raise PlanError(f'{name}: bad pointer form {form!r}')
        if form.get('fault') is True:
            return FAULT_ADDR
        if 'buf' in form:
            data = bytearray(bytes.fromhex(re.sub(r'\s+', '', form['buf'])))
        elif 'buf_len' in form:
            data = bytearray([int(form.get('fill', '00'), 16)] * form['buf_len'])
        elif 'str' in form:
            data = bytearray(form['str'].encode() + b'\0')
        elif 'file' in form:
            data = self.file_bytes(form)
        elif 'fd_array' in form:
            data = bytearray()
            for ref in form['fd_array']:
                data += struct.pack('<i', self.fd_of(ref))
        else:
            raise PlanError(f'{name}: unknown pointer form {form!r}')
        layout = None
        inner = {}
        if 'struct' in form:
            layout = L.struct_layout(form['struct'])
            if layout is None:
                raise PlanError(f"{name}: unknown struct {form['struct']!r}")
            for fname, fv in (form.get('fields') or {}).items():
                f = layout.by_name.get(fname)
                if f is None:
                    raise PlanError(f"{form['struct']} has no field {fname!r}")
                if f.offset + f.size > len(data):
                    raise PlanError(f"{form['struct']}.{fname} lies past the buffer")
                write_field(data, f, self.value(f, fv, f'{name}.{fname}', inner))
        if 'patch' in form:
            self.apply_patches(data, form['patch'], f'{name}.patch', inner)
        p = Placed(data, layout)
        p.inner = inner
        bufs[name] = p
        return p.addr

    def apply_patches(self, data, patches, name, bufs):
        for i, p in enumerate(patches):
            if not isinstance(p, dict) or not isinstance(p.get('offset'), int):
                raise PlanError(f'{name}[{i}]: needs an offset')
            off = p['offset']
            if off < 0 or off + 8 > len(data):
                raise PlanError(f'{name}[{i}]: offset {off} outside the buffer')
            if 'fd' in p and 'buf' not in p:
                struct.pack_into('<i', data, off, self.fd_of(p))
            else:
                struct.pack_into('<Q', data, off, self.place(p, f'{name}@{off}', bufs))

    def value(self, f, v, name, bufs):
        if isinstance(v, bool):
            raise PlanError(f'{name}: booleans are not values')
        if isinstance(v, int):
            return v
        if isinstance(v, str):
            if f.kind in ('name', 'tag'):
                return v
            raise PlanError(f'{name}: a string is only valid for name fields')
        if isinstance(v, dict):
            if 'fd' in v and 'buf' not in v and 'fd_array' not in v:
                return self.fd_of(v)
            if isinstance(v.get('key'), str):
                return self.key_of(v)
            if f.kind == 'ptr' or f.size == 8:
                return self.place(v, name, bufs)
        raise PlanError(f'{name}: bad value {v!r}')

    # -- steps --

    def run_bpf(self, step):
        cmd = step['cmd']
        if cmd not in L.CMDS:
            raise PlanError(f'unknown bpf command {cmd}')
        layout = L.attr_layout(cmd)
        bufs = {}
        size = step.get('attr_size')
        if 'attr_hex' in step:
            attr = bytearray(bytes.fromhex(re.sub(r'\s+', '', step['attr_hex'])))
            if 'patch' in step:
                self.apply_patches(attr, step['patch'], 'attr.patch', bufs)
            if size is None:
                size = len(attr)
        else:
            if layout is None:
                raise PlanError(f'no attr layout for {cmd}')
            if size is None:
                size = layout.end()
            attr = bytearray(max(size, layout.end()))
            for k, v in (step.get('attr') or {}).items():
                f = layout.by_name.get(k)
                if f is None:
                    raise PlanError(f'{cmd} attr has no field {k!r}')
                write_field(attr, f, self.value(f, v, f.name, bufs))
            attr = attr[:size]
        abuf = Placed(attr)
        ret, err = raw_syscall(SYS_bpf, L.CMDS[cmd], abuf.addr, size)
        if ret >= 0 and cmd in L.FD_CMDS:
            self.opened_fds.add(ret)
        return ret, err, bufs, abuf, size, layout

    def outputs(self, step, keys, bufs, abuf, size, layout):
        out = {}
        attr_now = abuf.read()[:max(size, 0)]
        for key in keys:
            out[key] = read_out(key, step['cmd'], attr_now, bufs, layout)
        return out

    def run_step(self, step):
        """Run one step; return (expect, StepResult)."""
        cmd = step['cmd']
        keys = step.get('record') or list((step.get('expect') or {}).get('out', {}).keys())
        if cmd.startswith('BPF_'):
            ret, err, bufs, abuf, size, layout = self.run_bpf(step)
            expect = ({'ret': 'fd'} if cmd in L.FD_CMDS else {'ret': ret}) if ret >= 0 else {'errno': errno_name(err)}
            if keys:
                expect['out'] = self.outputs(step, keys, bufs, abuf, size, layout)
            return expect, StepResult(ret, bufs)
        if keys:
            raise PlanError(f"{step['id']}: only bpf steps record outputs")
        if cmd == 'close':
            fd = self.fd_of(step['fd'])
            ret, err = raw_syscall(SYS_close, fd)
            self.opened_fds.discard(fd)
        elif cmd == 'dup2':
            fd = self.fd_of(step['fd'])
            newfd = step['newfd'] if isinstance(step['newfd'], int) else self.fd_of(step['newfd'])
            ret, err = raw_syscall(SYS_dup2, fd, newfd)
            if ret >= 0:
                self.opened_fds.add(ret)
        elif cmd == 'add_key':
            ret, err = self.add_key(step)
            return ({'ret': 'key'} if ret >= 0 else {'errno': errno_name(err)}), StepResult(ret, {})
        else:
            raise PlanError(f"unknown step kind {cmd!r} in step {step['id']}")
        return ({'ret': ret} if ret >= 0 else {'errno': errno_name(err)}), StepResult(ret, {})

    def add_key(self, step):
        keep = []

        def cstr(s):
            if s is None:
                return None
            b = ctypes.create_string_buffer(s.encode())
            keep.append(b)
            return b
        payload = step.get('payload')
        pbuf, plen = None, 0
        if payload is not None:
            data = self.file_bytes(payload) if 'file' in payload else bytes.fromhex(payload['buf'])
            pbuf = ctypes.create_string_buffer(bytes(data), max(len(data), 1))
            plen = len(data)
        ring = self.key_of(step['keyring'])
        ret, err = raw_syscall(SYS_add_key, cstr(step['type']), cstr(step.get('description')), pbuf,
                               ctypes.c_size_t(plen), ring)
        if ret >= 0:
            self.keys_added.append((ret, ring))
        return ret, err

    # -- process state --

    def close_opened(self):
        """Close every fd above 2 that this process did not have when the case started."""
        for fd in open_fds():
            if 2 < fd < HIGH_FD_BASE:
                raw_syscall(SYS_close, fd)
        self.opened_fds.clear()

    def setup(self):
        move_stray_fds()
        name = f'bpfsig-capture.{os.getpid()}'
        ret, err = raw_syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, ctypes.c_char_p(name.encode()))
        if ret < 0:
            raise PlanError(f'keyctl(JOIN_SESSION_KEYRING): {errno_name(err)}')
        self.session = ret

    def teardown(self):
        self.close_opened()
        for serial, ring in reversed(self.keys_added):
            raw_syscall(SYS_keyctl, KEYCTL_UNLINK, serial, ring)
            raw_syscall(SYS_keyctl, KEYCTL_REVOKE, serial)
        self.keys_added.clear()
        if self.session is not None:
            raw_syscall(SYS_keyctl, KEYCTL_REVOKE, self.session)
            self.session = None

    def run(self, steps, on_step):
        run = None
        self.setup()
        try:
            for step in steps:
                this_run = step['id'].split('/', 1)[0] if '/' in step['id'] else None
                if this_run != run:
                    if run is not None:
                        self.close_opened()
                    run = this_run
                expect, res = self.run_step(step)
                self.results[step['id']] = res
                on_step(step, expect)
        finally:
            self.teardown()


# ---- field encoding and outputs ----------------------------------------------------------------


def write_field(data, f, v):
    if f.kind in ('u32', 's32'):
        struct.pack_into('<I', data, f.offset, v & 0xFFFFFFFF)
    elif f.kind in ('u64', 'ptr'):
        struct.pack_into('<Q', data, f.offset, u64(v))
    elif f.kind == 'name':
        b = v.encode('latin1')[:16] if isinstance(v, str) else bytes(v)[:16]
        data[f.offset:f.offset + 16] = b + bytes(16 - len(b))
    elif f.kind == 'tag':
        data[f.offset:f.offset + 8] = bytes.fromhex(v)[:8].ljust(8, b'\0')


def read_field(data, f):
    data = bytes(data).ljust(f.offset + f.size, b'\0')
    if f.kind == 'u32':
        return struct.unpack_from('<I', data, f.offset)[0]
    if f.kind == 's32':
        return struct.unpack_from('<i', data, f.offset)[0]
    if f.kind in ('u64', 'ptr'):
        return struct.unpack_from('<Q', data, f.offset)[0]
    if f.kind == 'name':
        raw = data[f.offset:f.offset + 16]
        return raw.split(b'\0', 1)[0].decode('latin1')
    return data[f.offset:f.offset + 8].hex()


def canonical_out(key):
    """`ctx_in` → `test.ctx_in` and so on (the buffer names are the attr's full field names)."""
    for rows in L.ATTR_LAYOUTS.values():
        for name, _, _ in rows:
            if name == key or ('.' in name and name.split('.', 1)[1] == key):
                return name
    return key


def mask_insns(hexbytes):
    """`<key>:masked` (our extension): instructions with every ld_imm64 immediate (map ids, kernel
    addresses), every non-local call immediate (helper and kfunc addresses) and the per-CPU address an
    inlined bpf_get_smp_processor_id moves into a register zeroed, so that a translated program can
    be recorded without anything that varies from boot to boot or build to build."""
    b = bytearray(bytes.fromhex(hexbytes))
    i = 0
    while i + 8 <= len(b):
        code, src = b[i], b[i + 1] >> 4
        if code == 0x18:
            b[i + 4:i + 8] = bytes(4)
            if i + 16 <= len(b):
                b[i + 12:i + 16] = bytes(4)
            i += 16
            continue
        if code == 0x85 and src != 1:
            b[i + 4:i + 8] = bytes(4)
        # `mov64 rX = <per-CPU address>` followed by `rX = per_cpu(rX)` (BPF_MOV64_PERCPU_REG: off -1)
        if code == 0xb7 and i + 16 <= len(b) and b[i + 8] == 0xbf and b[i + 10:i + 12] == b'\xff\xff':
            b[i + 4:i + 8] = bytes(4)
        i += 8
    return b.hex()


def read_out(key, cmd, attr_now, bufs, layout):
    """The value of one `out` key after the call, in TRANSCRIPTS.md's forms."""
    if key.endswith(':masked'):
        return mask_insns(read_out(key[:-len(':masked')], cmd, attr_now, bufs, layout))
    f = layout.by_name.get(key) if layout else None
    if f is not None and f.kind != 'ptr':
        v = read_field(attr_now, f)
        if key.endswith('retval'):
            v = struct.unpack('<i', struct.pack('<I', v))[0]
        return v
    if f is not None:
        b = bufs.get(f.name)
        if b is None:
            raise PlanError(f'{key}: no buffer was placed for it')
        data = b.read()
        if key.endswith('log_buf'):
            return data.split(b'\0', 1)[0].decode('utf-8', 'replace')
        return data.hex()
    if '.' in key:
        ptr_name, field_name = key.split('.', 1)
        pf = layout.by_name.get(ptr_name) if layout else None
        b = bufs.get(pf.name) if pf else None
        if b is None or b.struct is None:
            raise PlanError(f'{key}: no struct buffer for {ptr_name!r}')
        sf = b.struct.by_name.get(field_name)
        if sf is None:
            raise PlanError(f'{key}: {b.struct.name} has no field {field_name!r}')
        if sf.kind == 'ptr':
            inner = b.inner.get(f'{pf.name}.{field_name}')
            if inner is None:
                raise PlanError(f'{key}: no buffer was placed for it')
            return inner.read().hex()
        return read_field(b.read(), sf)
    raise PlanError(f'{key}: not a field of {cmd}')


# ---- process setup helpers --------------------------------------------------------------------


def open_fds():
    return sorted(int(x) for x in os.listdir('/proc/self/fd'))


def move_stray_fds():
    """Move any fd above 2 this interpreter holds out of the way, so new fds start at 3."""
    n = HIGH_FD_BASE
    for fd in open_fds():
        if 2 < fd < HIGH_FD_BASE:
            try:
                os.fstat(fd)
            except OSError:
                continue  # the listdir's own fd, already closed
            os.dup2(fd, n)
            os.close(fd)
            n += 1


# ---- machine facts -----------------------------------------------------------------------------


def kernel_info():
    uname_r = os.uname().release
    release = re.match(r'\d+\.\d+(\.\d+)?', uname_r).group(0)
    config, source = read_config()
    cfg = {}
    for k in CONFIG_KEYS:
        cfg[k] = config.get(k) in ('y', 'm')
    return {'release': release, 'uname_r': uname_r, 'config': cfg}, source


def read_config():
    for path in ['/proc/config.gz', f'/boot/config-{os.uname().release}']:
        try:
            opener = gzip.open if path.endswith('.gz') else open
            with opener(path, 'rt') as f:
                text = f.read()
        except OSError:
            continue
        cfg = {}
        for line in text.splitlines():
            m = re.match(r'(CONFIG_\w+)=(.*)', line)
            if m:
                cfg[m.group(1)] = m.group(2)
        return cfg, path
    raise SystemExit('capture: no kernel config found (/proc/config.gz or /boot/config-*); cannot record kernel.config')


def creds():
    with open('/proc/self/status') as f:
        capeff = int(re.search(r'^CapEff:\s*([0-9a-f]+)', f.read(), re.M).group(1), 16)
    caps = [name for name, bit in sorted(CAPS.items(), key=lambda kv: ['CAP_SYS_ADMIN', 'CAP_BPF', 'CAP_PERFMON', 'CAP_NET_ADMIN'].index(kv[0])) if capeff >> bit & 1]
    return {'euid': os.geteuid(), 'caps': caps}


# ---- commands ----------------------------------------------------------------------------------

STEP_KEY_ORDER = ['id', 'cmd', 'attr_size', 'attr', 'attr_hex', 'patch', 'fd', 'newfd', 'type', 'description',
                  'payload', 'keyring', 'expect', 'note', 'raw']


def transcript_step(step, expect):
    out = {}
    for k in STEP_KEY_ORDER:
        if k == 'expect':
            out['expect'] = expect
        elif k in step:
            out[k] = step[k]
    for k, v in step.items():
        if k not in out and k != 'record':
            out[k] = v
    return out


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit(f'capture: cannot read {path}: {e}')


def check_plan(plan, path):
    if plan.get('format') != 'bpfsig-transcript/1':
        raise SystemExit(f'capture: {path} is not a bpfsig-transcript/1 plan')
    ids = set()
    for i, s in enumerate(plan.get('steps', [])):
        if not isinstance(s, dict) or 'id' not in s or 'cmd' not in s:
            raise SystemExit(f'capture: {path}: step {i} needs id and cmd')
        if s['id'] in ids:
            raise SystemExit(f"capture: {path}: duplicate step id {s['id']!r}")
        ids.add(s['id'])


def cmd_capture(plan_path, out_path):
    plan = load_json(plan_path)
    check_plan(plan, plan_path)
    kernel, config_source = kernel_info()
    steps_out = []
    runner = Runner(plan, plan_path)
    try:
        runner.run(plan['steps'], lambda step, expect: steps_out.append(transcript_step(step, expect)))
    except PlanError as e:
        raise SystemExit(f'capture: {plan_path}: {e}')
    t = {'format': 'bpfsig-transcript/1', 'kernel': kernel, 'creds': creds()}
    for k in ('root', 'case', 'description'):
        if k in plan:
            t[k] = plan[k]
    notes = list(plan.get('notes', []))
    notes.append(f'Captured by tools/capture/capture.py from tools/capture/plans/{os.path.basename(plan_path)}; '
                 f'kernel.config read from {config_source}.')
    t['notes'] = notes
    t['steps'] = steps_out
    text = json.dumps(t, indent=1, ensure_ascii=False) + '\n'
    with open(out_path, 'w') as f:
        f.write(text)
    errs = sum(1 for s in steps_out if 'errno' in s['expect'])
    print(f'{out_path}: {len(steps_out)} steps ({errs} errno answers) on {kernel["uname_r"]}')


def cmd_check(path):
    doc = load_json(path)
    t = doc.get('replay', doc)
    check_plan(t, path)
    runner = Runner(t, path)
    by_id = {s['id']: s for s in t['steps']}
    bad = []

    def on_step(step, expect):
        want = by_id[step['id']]['expect']
        same = canon(want) == canon(expect)
        if not same:
            bad.append(step['id'])
        print(f"  {'agree   ' if same else 'DIFFERS '} {step['id']:<48} {describe(want)}"
              + ('' if same else f'  now {describe(expect)}'))
        if not same:
            for k in sorted(set(want.get('out', {})) | set(expect.get('out', {}))):
                a, b = want.get('out', {}).get(k), expect.get('out', {}).get(k)
                if a != b:
                    print(f'             {k}: recorded {json.dumps(a)}, now {json.dumps(b)}')
    print(f'{path} on {os.uname().release}')
    try:
        runner.run(t['steps'], on_step)
    except PlanError as e:
        raise SystemExit(f'capture: {path}: {e}')
    n = len(t['steps'])
    print(f'  {n - len(bad)}/{n} steps agree' + (f"; differ: {', '.join(bad)}" if bad else ''))
    return 0 if not bad else 1


def canon(e):
    e = dict(e)
    if 'errno' in e:
        e['errno'] = {'ENOTSUP': 'EOPNOTSUPP'}.get(e['errno'], e['errno'])
    return json.dumps(e, sort_keys=True)


def describe(e):
    if 'errno' in e:
        return e['errno']
    return 'fd' if e['ret'] == 'fd' else 'key' if e['ret'] == 'key' else f"ret={e['ret']}"


# ---- offset check ----------------------------------------------------------------------------


def c_program(rows, header):
    lines = [header, '#define OFF(T, m) __builtin_offsetof(T, m)', 'int printf(const char *, ...);', 'int main(void) {']
    for table, name, _, _, _ in rows:
        lines.append(f'  printf("%s %s %zu\\n", "{table}", "{name}", (unsigned long)OFF({table}, {name}));')
    for s, size in L.SIZEOF.items():
        t = s if s.startswith('union') else f'struct {s}'
        lines.append(f'  printf("sizeof %s %zu\\n", "{t}", (unsigned long)sizeof({t}));')
    lines += ['  return 0;', '}']
    return '\n'.join(lines) + '\n'


def compile_and_run(rows, header, tmp):
    """Compile the offset printer; drop members the header lacks (gcc names them) and retry."""
    rows = list(rows)
    missing = []
    while True:
        src = os.path.join(tmp, 'off.c')
        exe = os.path.join(tmp, 'off')
        with open(src, 'w') as f:
            f.write(c_program(rows, header))
        p = subprocess.run(['gcc', '-w', '-o', exe, src], capture_output=True, text=True)
        if p.returncode == 0:
            break
        gone = set(re.findall(r"no member named ['\u2018](\w+)['\u2019]", p.stderr))
        if not gone:
            raise SystemExit(f'capture: gcc failed:\n{p.stderr[:2000]}')
        keep = []
        for r in rows:
            leaf = r[1].split('.')[-1]
            (missing if leaf in gone else keep).append(r)
        rows = keep
    got = {}
    for line in subprocess.run([exe], capture_output=True, text=True, check=True).stdout.splitlines():
        if line.startswith('sizeof '):
            t, n = line[len('sizeof '):].rsplit(' ', 1)
            got[('sizeof', t)] = int(n)
        else:
            parts = line.rsplit(' ', 2)
            got[(parts[0], parts[1])] = int(parts[2])
    return got, missing


def cmd_layouts():
    if not shutil.which('gcc'):
        raise SystemExit('capture: gcc not found')
    rows = L.all_rows()
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        sources = []
        if shutil.which('bpftool') and os.access('/sys/kernel/btf/vmlinux', os.R_OK):
            vh = os.path.join(tmp, 'vmlinux.h')
            with open(vh, 'w') as f:
                subprocess.run(['bpftool', 'btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], stdout=f, check=True)
            sources.append((f'running kernel BTF ({os.uname().release})', f'#include "{vh}"'))
        else:
            print('  (bpftool or /sys/kernel/btf/vmlinux not available: kernel BTF check skipped)')
        sources.append(('/usr/include/linux/bpf.h', '#include <linux/bpf.h>'))
        for label, header in sources:
            got, missing = compile_and_run(rows, header, tmp)
            bad = []
            checked = 0
            for table, name, _, off, _ in rows:
                if (table, name) in got:
                    checked += 1
                    if got[(table, name)] != off:
                        bad.append(f'{table}.{name}: table {off}, gcc {got[(table, name)]}')
            for s, size in L.SIZEOF.items():
                t = s if s.startswith('union') else f'struct {s}'
                if ('sizeof', t) in got and got[('sizeof', t)] != size and label.startswith('running'):
                    bad.append(f'sizeof {t}: table {size}, gcc {got[("sizeof", t)]}')
            sizes = ', '.join(f'{t} {n}' for (k, t), n in got.items() if k == 'sizeof')
            print(f'{label}: {checked} offsets checked, {len(bad)} differ; {len(missing)} fields not in this header'
                  + (f" ({', '.join(sorted(set(r[1] for r in missing)))})" if missing else '') + f'; sizeof: {sizes}')
            for b in bad:
                print(f'  DIFFERS {b}')
            if bad:
                status = 1
    return status


def cmd_dump_layouts():
    out = {'attr': {}, 'struct': {}}
    for cmd, rows in L.ATTR_LAYOUTS.items():
        out['attr'][cmd] = {n: off for n, _, off in rows}
    for s, rows in L.STRUCT_LAYOUTS.items():
        out['struct'][s] = {n: off for n, _, off in rows}
    print(json.dumps(out, indent=1, sort_keys=True))
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('plan', nargs='?', help='plan JSON (steps without expect)')
    ap.add_argument('-o', '--output', help='transcript to write')
    ap.add_argument('--check', metavar='TRANSCRIPT', help='re-run a transcript and compare every step')
    ap.add_argument('--layouts', action='store_true', help='check the offset tables with gcc')
    ap.add_argument('--dump-layouts', action='store_true', help='print the offset tables as JSON')
    a = ap.parse_args(argv)
    if a.dump_layouts:
        return cmd_dump_layouts()
    if a.layouts:
        return cmd_layouts()
    if os.geteuid() != 0:
        raise SystemExit('capture: must run as root (bpf(2) on the real kernel)')
    if a.check:
        return cmd_check(a.check)
    if not a.plan or not a.output:
        ap.error('give PLAN and -o OUT, or --check TRANSCRIPT')
    cmd_capture(a.plan, a.output)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
