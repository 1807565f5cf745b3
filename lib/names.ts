// Building Kubernetes object names (DNS-1123) from free-form names: a lowercase slug plus a short
// hash of the exact original, so distinct inputs stay distinct. The results name existing objects:
// changing how a slug is made renames them, so these functions must keep their output.
import { createHash } from 'node:crypto';

/** Lowercase, runs of characters outside [a-z0-9-] → '-', optionally '-' runs collapsed, no leading/trailing '-'. */
export function dnsSlug(name: string, o: { collapse?: boolean } = {}): string {
  const s = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return (o.collapse ? s.replace(/-+/g, '-') : s).replace(/^-+|-+$/g, '');
}

/** The first `length` hex digits of the SHA-256 of `text`. */
export function shortHash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
