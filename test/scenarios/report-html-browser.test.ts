// The HTML report in a real browser: Debian's headless Chromium opens the page written by
// `bpfsig compare --format html --out FILE` from a file URL, with no network (the page has no
// script and no external resource; report-html.test.ts holds it to that, so there is nothing to
// switch off: headless Chromium's --dump-dom and --screenshot need its own scripting enabled). `--dump-dom` gives the DOM Chromium built, checked for the matrix cells, a
// false-positive mark, an SVG sequence diagram with the failing stage and the audit lines;
// `--screenshot` saves a PNG of the page (BPFSIG_REPORT_PNG, default in the system temp folder).
// Skipped by name when chromium is not installed (.ci/run installs it).
// spec: SEQ-2, SEQ-3, AUD-FP-1, CLAIM-2.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/support.js';

function chromiumPath(): string | null {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
    } catch {
      /* not this one */
    }
  }
  return null;
}

const CHROMIUM = chromiumPath();
const work = mkdtempSync(join(tmpdir(), 'bpfsig-report-browser-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Chromium as root, headless, no sandbox, no network chatter, a fresh profile each time (docs: machines/node.md). */
function chromium(args: string[]): string {
  const profile = mkdtempSync(join(work, 'profile-'));
  return execFileSync(
    CHROMIUM!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] },
  );
}

/** The width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

// A browser start can take a while on a busy machine: two minutes per test.
describe.skipIf(!CHROMIUM)(`the HTML report in headless Chromium${CHROMIUM ? '' : ' (skipped: chromium not installed)'}`, { timeout: 120_000 }, () => {
  const page = join(work, 'report.html');
  const url = pathToFileURL(page).href;
  let dom = '';

  it('bpfsig compare --format html --out writes the page', async () => {
    const r = await cli('compare', '--profiles', 'v6.18,v7.3', '--cases', 'intact,data-byte,insn-byte', '--format', 'html', '--out', page);
    expect(r.code).toBe(0);
    expect(readFileSync(page, 'utf8')).toMatch(/^<!DOCTYPE html>/);
  });

  it('[SEQ-2][AUD-FP-1] --dump-dom: the matrix cells, the false-positive mark, the sequence diagrams, the audit lines', () => {
    dom = chromium(['--dump-dom', url]);
    // The DOM Chromium built from the file, serialized: SVG elements written self-closing in the
    // file come back with end tags.
    expect(dom).toMatch(/^<!DOCTYPE html>\s*<html lang="en"><head>/);
    expect(readFileSync(page, 'utf8')).not.toContain('></path>');
    expect(dom).toContain('></path>');
    // Matrix: every profile × case cell with its code, v6.18 / data-byte a false positive.
    for (const [profile, c, code] of [
      ['v6.18', 'intact', 'ok'],
      ['v6.18', 'data-byte', '!EINVAL/LD'],
      ['v6.18', 'insn-byte', 'EKEYREJ/PL'],
      ['v7.3', 'intact', 'ok'],
      ['v7.3', 'data-byte', 'EKEYREJ/PL'],
    ] as const) {
      const cell = new RegExp(`<td class="code [^"]*" data-profile="${profile.replace('.', '\\.')}" data-case="${c}"[^>]*><a href="#cell--[^"]+"[^>]*>${code.replace('/', '\\/').replace('!', '!')}`);
      expect(dom, `${profile}/${c}`).toMatch(cell);
    }
    expect(dom).toMatch(/<td class="code c-fp" data-profile="v6\.18" data-case="data-byte" data-false-positive="true"><a [^>]*>!EINVAL\/LD<span class="fp-mark" aria-hidden="true">FP<\/span>/);
    expect(dom).not.toMatch(/data-profile="v7\.3" data-case="data-byte" data-false-positive/);
    // A sequence diagram in the DOM as SVG with text: the failing stage of v6.18 / insn-byte.
    const insn = dom.slice(dom.indexOf('id="cell--v6-18--insn-byte"'));
    const svg = insn.slice(insn.indexOf('<svg'), insn.indexOf('</svg>'));
    expect(svg).toMatch(/<text[^>]*>✗ LOAD-9 bpf_prog_verify_signature → -EKEYREJECTED/);
    expect(svg).toMatch(/<text[^>]*>#6 = -EKEYREJECTED \(-129\)<\/text>/);
    // The audit lines, in auditd's form, under the diagrams.
    const audits = [...dom.matchAll(/<pre class="audit">([^<]*)<\/pre>/g)].map((m) => m[1]!);
    expect(audits.length).toBe(8);
    expect(audits.some((a) => /^type=SYSCALL msg=audit\(\d+\.\d{3}:\d+\): arch=c000003e syscall=321 success=no exit=-129 /m.test(a))).toBe(true);
    expect(dom).toMatch(/type=BPF msg=audit\(\d+\.\d{3}:\d+\): prog-id=\d+ op=LOAD/);
  });

  it('--screenshot saves a PNG of the page', () => {
    const png = process.env.BPFSIG_REPORT_PNG ?? join(tmpdir(), 'bpfsig-report-html', 'report.png');
    mkdirSync(dirname(png), { recursive: true });
    rmSync(png, { force: true });
    chromium(['--hide-scrollbars', '--window-size=1280,2400', `--screenshot=${png}`, url]);
    const bytes = readFileSync(png);
    expect(pngSize(bytes)).toEqual({ width: 1280, height: 2400 });
    // A rendered page, not a blank one: PNG compresses a blank page to a few kilobytes.
    expect(bytes.length).toBeGreaterThan(50_000);
  });
});
