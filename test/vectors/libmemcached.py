#!/usr/bin/env python3
"""Known-answer vectors for the libmemcached profile, from the real libmemcached.

Regenerate (Debian: apt-get install libmemcached11):
    python3 test/vectors/libmemcached.py > test/vectors/libmemcached.json

Each configuration adds its servers with memcached_server_add_with_weight, turns on
MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED (what pylibmc's behaviors={"ketama_weighted": True} does)
and asks memcached_generate_hash for the index of the server that owns each key.
No server is contacted: hashing needs only the server list.
"""
import ctypes
import json

lib = ctypes.CDLL("libmemcached.so.11")
lib.memcached_create.restype = ctypes.c_void_p
lib.memcached_create.argtypes = [ctypes.c_void_p]
lib.memcached_free.argtypes = [ctypes.c_void_p]
lib.memcached_server_add_with_weight.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint16, ctypes.c_uint32]
lib.memcached_behavior_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint64]
lib.memcached_generate_hash.restype = ctypes.c_uint32
lib.memcached_generate_hash.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
lib.memcached_lib_version.restype = ctypes.c_char_p

MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED = 16

CONFIGS = [
    [("10.0.0.1", 6379, 1), ("10.0.0.2", 6379, 1)],
    [("10.0.0.1", 6379, 1), ("10.0.0.2", 6379, 1), ("10.0.0.3", 6379, 1)],
    [("cache-a.internal", 11211, 1), ("cache-b.internal", 11211, 2), ("cache-c.internal", 6380, 1)],
    [("10.0.0.1", 7000, 3), ("10.0.0.1", 7001, 1), ("10.0.0.2", 7000, 1), ("10.0.0.2", 7001, 7), ("10.0.0.3", 7000, 2)],
    [("10.1.0.%d" % i, 6379, 1 + (i * 5) % 4) for i in range(1, 8)],
]


def keys():
    out = ["product:%d" % i for i in range(200)]
    out += ["user:{acme}:%d" % i for i in range(50)]
    out += ["ключ:%d:é" % i for i in range(30)]
    out += ["k", "a" * 200, "category:shoes", "🙂:1"]
    return out


def main():
    result = {"libmemcached": lib.memcached_lib_version().decode(), "configs": []}
    for servers in CONFIGS:
        memc = lib.memcached_create(None)
        for host, port, weight in servers:
            lib.memcached_server_add_with_weight(memc, host.encode(), port, weight)
        lib.memcached_behavior_set(memc, MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED, 1)
        owners = {}
        for key in keys():
            raw = key.encode("utf-8")
            owners[key] = lib.memcached_generate_hash(memc, raw, len(raw))
        lib.memcached_free(memc)
        result["configs"].append({"servers": ["%s:%d:%d" % s for s in servers], "owners": owners})
    print(json.dumps(result, ensure_ascii=False, indent=1))


main()
