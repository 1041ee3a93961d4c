/**
 * Reads a twemproxy (nutcracker) YAML configuration into a RingSpec: the chosen pool's
 * servers, hash, hash_tag, distribution and ejection settings, so the ring matches the proxy.
 * Every problem in the file is a RingConfigError (exit 3) naming file:line and what to change;
 * a missing or ambiguous --ring-pool is a UsageError (exit 2).
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { RingConfigError, UsageError } from '../../errors.js';
import { isKeyHash, KEY_HASH_NAMES } from './hashes.js';
import { findDuplicate, parseServerLine } from './servers.js';
import type { RingServer, RingSpec } from './types.js';

export function ringSpecFromTwemproxyYaml(yamlText: string, file: string, pool?: string): RingSpec {
  const lines = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: lines, prettyErrors: false });
  const lineOf = (node: unknown, fallback = 1): number => {
    const range = (node as Node | null | undefined)?.range;
    return range ? lines.linePos(range[0]).line : fallback;
  };
  const fail = (message: string, line?: number): never => {
    throw new RingConfigError(message, { file, line });
  };
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    fail(`not valid YAML: ${first.message.split('\n')[0]}`, lines.linePos(first.pos[0]).line);
  }
  const root = doc.contents;
  if (!isMap(root)) return fail('expected a twemproxy configuration: pool names mapping to their settings (e.g. "alpha:" with "servers:")', lineOf(root));
  const pools = root.items.filter((p) => isScalar(p.key)).map((p) => String((p.key as { value: unknown }).value));
  if (pools.length === 0) fail('no pools defined; a twemproxy file maps pool names to settings');
  let chosen: Pair;
  if (pool !== undefined) {
    const found = root.items.find((p) => isScalar(p.key) && String(p.key.value) === pool);
    if (!found) throw new UsageError(`--ring-pool: ${file} has no pool '${pool}' (pools: ${pools.join(', ')})`);
    chosen = found;
  } else {
    if (pools.length > 1) throw new UsageError(`--ring-config: ${file} has ${pools.length} pools (${pools.join(', ')}); choose one with --ring-pool`);
    chosen = root.items[0]!;
  }
  const poolName = String((chosen.key as { value: unknown }).value);
  const settings = chosen.value;
  if (!isMap(settings)) return fail(`pool '${poolName}' must be a mapping of settings (servers:, hash:, ...)`, lineOf(chosen.key));
  const field = (name: string) => (settings as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === name);
  const scalar = (name: string): { value: unknown; line: number } | undefined => {
    const pair = field(name);
    if (!pair) return undefined;
    if (!isScalar(pair.value)) fail(`${name}: expected a single value`, lineOf(pair.value, lineOf(pair.key)));
    return { value: (pair.value as { value: unknown }).value, line: lineOf(pair.value) };
  };

  const distribution = scalar('distribution');
  if (distribution && distribution.value !== 'ketama') {
    fail(`distribution: '${String(distribution.value)}' is not supported; cachectl reproduces only distribution: ketama (modula and random depend on the server count or on chance)`, distribution.line);
  }
  const hash = scalar('hash');
  let keyHash: RingSpec['hash'] = 'fnv1a_64';
  if (hash) {
    const value = String(hash.value);
    if (!isKeyHash(value)) fail(`hash: '${value}' is not a twemproxy hash; use one of ${KEY_HASH_NAMES.join(', ')}`, hash.line);
    keyHash = value as RingSpec['hash'];
  }
  let hashTag: string | undefined;
  const tagPair = field('hash_tag');
  if (tagPair) {
    const tag = isScalar(tagPair.value) ? tagPair.value.value : undefined;
    if (typeof tag !== 'string' || Buffer.byteLength(tag) !== 2) {
      fail('hash_tag: must be a quoted two-character string, e.g. hash_tag: "{}"', lineOf(tagPair.value, lineOf(tagPair.key)));
    }
    hashTag = tag as string;
  }
  const autoEject = scalar('auto_eject_hosts');
  if (autoEject && typeof autoEject.value !== 'boolean') fail('auto_eject_hosts: must be true or false', autoEject.line);
  const failureLimit = scalar('server_failure_limit');
  if (failureLimit && !(Number.isInteger(failureLimit.value) && (failureLimit.value as number) >= 0)) {
    fail('server_failure_limit: must be a whole number', failureLimit.line);
  }

  const serversPair = field('servers');
  if (!serversPair) return fail(`pool '${poolName}' has no servers:; list them as "- host:port:weight [name]"`, lineOf(chosen.key));
  if (!isSeq(serversPair.value) || serversPair.value.items.length === 0) {
    return fail('servers: must be a list of "host:port:weight [name]" entries', lineOf(serversPair.value, lineOf(serversPair.key)));
  }
  const servers: RingServer[] = serversPair.value.items.map((item) => {
    const line = lineOf(item, lineOf(serversPair.key));
    if (!isScalar(item)) return fail('servers: each entry must be one "host:port:weight [name]" string', line);
    const { server, error } = parseServerLine(String(item.value), { weightRequired: true });
    if (!server) return fail(`servers: ${error}`, line);
    return server;
  });
  const duplicate = findDuplicate(servers);
  if (duplicate) fail(`servers: ${duplicate}`, lineOf(serversPair.key));

  const spec: RingSpec = { compat: 'twemproxy', servers, hash: keyHash, source: `${file} (pool ${poolName})` };
  if (hashTag !== undefined) spec.hashTag = hashTag;
  spec.autoEjectHosts = autoEject ? (autoEject.value as boolean) : false;
  spec.serverFailureLimit = failureLimit ? (failureLimit.value as number) : 2;
  return spec;
}
