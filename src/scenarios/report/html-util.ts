// Small helpers the HTML renderers share: escaping, ids, errno text.

import { errnoName } from '../../syscall/errno.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or attribute content, escaped for HTML and SVG. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]!);
}

/** A fragment id from parts: lowercase letters, digits and '-' only. */
export function anchorId(...parts: string[]): string {
  return parts.map((p) => p.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')).join('--');
}

/** `-129` → `-EKEYREJECTED (-129)`; `4` → `4`; null (a call that never returned) → `never returned`. */
export function retText(ret: number | null, errno?: string | null): string {
  if (ret === null) return 'never returned';
  if (ret >= 0) return String(ret);
  const name = errno ?? errnoName(-ret);
  return name ? `-${name} (${ret})` : String(ret);
}

/** Cut text to `n` characters with an ellipsis. */
export function cut(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}
