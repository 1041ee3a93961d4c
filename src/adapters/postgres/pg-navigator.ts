/**
 * Imported by pg-driver.ts just before 'pg', so it evaluates first: on Node 20 (no global
 * `navigator`) pg's check for a Cloudflare Worker constructs a fetch `Response`, which loads
 * undici, node's whole fetch implementation, for nothing (about 15 ms of every run's CPU). A
 * `navigator` like Node 21's is there while pg's modules evaluate; pg-driver removes it after.
 */
export const navigatorAdded = !('navigator' in globalThis);
if (navigatorAdded) Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.versions.node}` }, configurable: true });
