#!/usr/bin/env python3
"""Known-answer vectors for the `simple` profile: the ConsistentHashRing of the reference guide
000_fc74eff170194c16.txt (section "Consistent Hashing"), run as written there: 150 replicas, points at
int(md5(f"{node}:{i}").hexdigest(), 16), bisect (right) on the key's md5 integer, wrap to 0.

Regenerate: python3 test/vectors/simple.py > test/vectors/simple.json
"""
import hashlib
import json
from bisect import bisect


class ConsistentHashRing:
    def __init__(self, nodes, replicas=150):
        self.replicas = replicas
        self.ring = {}
        self.sorted_keys = []
        for node in nodes:
            for i in range(replicas):
                key = f"{node}:{i}"
                hash_key = int(hashlib.md5(key.encode()).hexdigest(), 16)
                self.ring[hash_key] = node
                self.sorted_keys.append(hash_key)
        self.sorted_keys.sort()

    def get_node(self, key):
        if not self.ring:
            return None
        hash_key = int(hashlib.md5(key.encode()).hexdigest(), 16)
        idx = bisect(self.sorted_keys, hash_key)
        if idx >= len(self.sorted_keys):
            idx = 0
        return self.ring[self.sorted_keys[idx]]


CONFIGS = [
    ["10.0.0.1:6379", "10.0.0.2:6379"],
    ["10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"],
    ["cache-a", "cache-b", "cache-c", "cache-d", "cache-e"],
]


def keys():
    out = ["product:%d" % i for i in range(200)]
    out += ["user:{acme}:%d" % i for i in range(50)]
    out += ["ключ:%d:é" % i for i in range(30)]
    out += ["", "k", "a" * 200, "🙂:1"]
    return out


result = {"configs": []}
for nodes in CONFIGS:
    ring = ConsistentHashRing(nodes)
    result["configs"].append({"nodes": nodes, "owners": {k: ring.get_node(k) for k in keys()}})
print(json.dumps(result, ensure_ascii=False, indent=1))
