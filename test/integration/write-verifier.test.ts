/**
 * --verify's read-back against a real Redis: a key found absent while the warm goes on is read
 * again after the last write (a node that restarted without persistence is written again by
 * then), and counted missing only if it is still absent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { WriteVerifier } from '../../src/adapters/redis/write-verifier.js';
import { emptyItems, type Items } from '../../src/adapters/redis/write-items.js';
import type { VerifyProblem, WriteReport } from '../../src/core/warm/ports.js';
import { SingleNodeTopology } from '../../src/topology/single.js';
import { nodeFromAddress } from '../../src/topology/types.js';
import { startRedis, type RedisProcess } from '../harness/redis.js';

function itemsOf(keys: string[]): Items {
  const items = emptyItems();
  for (const key of keys) {
    items.keys.push(key);
    items.ttls.push(60_000);
  }
  return items;
}

type Verdicts = Map<string, (VerifyProblem | 'ok')[]>;

/** Records the verdicts key by key; `verdictOn(key)` resolves when the first one on `key` arrives. */
function recordingReport(verdicts: Verdicts): { report: WriteReport; verdictOn(key: string): Promise<void> } {
  const waiting = new Map<string, () => void>();
  const ignore = () => undefined;
  const report: WriteReport = {
    written: ignore,
    skipped: ignore,
    failed: ignore,
    retry: ignore,
    nodeError: ignore,
    verified: (key, _node, problem) => {
      verdicts.set(key, [...(verdicts.get(key) ?? []), problem ?? 'ok']);
      waiting.get(key)?.();
    },
  };
  const verdictOn = (key: string) => (verdicts.has(key) ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(key, resolve)));
  return { report, verdictOn };
}

describe('WriteVerifier read-back', () => {
  let redis: RedisProcess;
  let client: Redis;
  before(async () => {
    redis = await startRedis();
    client = redis.client();
  });
  after(async () => redis?.stop());

  const verifierFor = (verdicts: Verdicts) => {
    const node = nodeFromAddress('127.0.0.1', redis.port);
    const link = { topology: new SingleNodeTopology(node), target: { kind: 'single' }, clientFor: () => client };
    const { report, verdictOn } = recordingReport(verdicts);
    return { node, verdictOn, verifier: new WriteVerifier(link, report, 'all') };
  };

  test('absent while the run goes on, written again before the end: one verdict, present', async () => {
    const keys = ['verify:lost:1', 'verify:lost:2', 'verify:kept'];
    await client.set('verify:kept', 'v', 'PX', 60_000);
    const verdicts = new Map<string, (VerifyProblem | 'ok')[]>();
    const { node, verifier, verdictOn } = verifierFor(verdicts);
    const items = itemsOf(keys);
    keys.forEach((_, i) => verifier.written(node, items, i));
    verifier.flushInline(node);
    // The restart's losses are written again after the inline read (as the writer does at the end).
    await verdictOn('verify:kept');
    assert.equal(verdicts.has('verify:lost:1'), false, 'an absent key is not counted while the run goes on');
    await client.set('verify:lost:1', 'v', 'PX', 60_000);
    await client.set('verify:lost:2', 'v', 'PX', 60_000);
    await verifier.finishVerify();
    assert.deepEqual(Object.fromEntries(verdicts), { 'verify:kept': ['ok'], 'verify:lost:1': ['ok'], 'verify:lost:2': ['ok'] });
  });

  test('still absent after the last write: counted missing, once', async () => {
    const verdicts = new Map<string, (VerifyProblem | 'ok')[]>();
    const { node, verifier } = verifierFor(verdicts);
    const items = itemsOf(['verify:gone']);
    verifier.written(node, items, 0);
    verifier.flushInline(node);
    await verifier.finishVerify();
    assert.deepEqual(verdicts.get('verify:gone'), ['missing']);
  });

  test('a key present without a TTL is reported at once (a restart cannot explain it)', async () => {
    await client.set('verify:no-ttl', 'v');
    const verdicts = new Map<string, (VerifyProblem | 'ok')[]>();
    const { node, verifier, verdictOn } = verifierFor(verdicts);
    verifier.written(node, itemsOf(['verify:no-ttl']), 0);
    verifier.flushInline(node);
    await verdictOn('verify:no-ttl');
    await verifier.finishVerify();
    assert.deepEqual(verdicts.get('verify:no-ttl'), ['noTtl']);
  });
});
