#!/usr/bin/env python3
"""Writes test/fixtures/networkx/: what CPython's random.Random and networkx
give for fixed seeds, so the tests check our reproductions without Python.

    python3 scripts/networkx-references.py    # a Python with networkx (3.6.1 and
                                              # Debian's 2.8.8 write the same files)

Checked in; run again on purpose (and say so in the commit) when networkx's
generators change.
"""
import hashlib
import json
import os
import platform
import random

import networkx as nx

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "networkx")
os.makedirs(OUT, exist_ok=True)


def write(name, value):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(value, f, separators=(",", ":"))
        f.write("\n")


seeds = [0, 1, 2, 7, 42, 123, 2**31 - 1, 2**32, 2**32 + 5, 2**40 + 3, 10**15, -5, 987654321]
draws = []
for seed in seeds:
    r = random.Random(seed)
    entry = {"seed": seed, "random": [r.random() for _ in range(1000 if seed in (0, 42, 2**32 + 5, -5) else 100)]}
    entry["getrandbits"] = {str(k): [r.getrandbits(k) for _ in range(50)] for k in (1, 5, 13, 31, 32, 33, 40, 53)}
    entry["randrange"] = [r.randrange(3, 3 + n) for n in (1, 2, 3, 10, 1000, 12345, 2**20 + 1) for _ in range(20)]
    entry["sample_small"] = r.sample(range(20), 7)
    entry["sample_large"] = r.sample(range(10000), 50)
    xs = list(range(30))
    r.shuffle(xs)
    entry["shuffle"] = xs
    entry["choice"] = [r.choice([5, 6, 7, 8, 9]) for _ in range(30)]
    draws.append(entry)
write("random.json", {"python": platform.python_version(), "draws": draws})


def edges(g):
    return sorted([int(u), int(v)] if g.is_directed() else sorted([int(u), int(v)]) for u, v in g.edges())


def case(args, seed, g):
    """Small graphs keep their edges; large ones their count and the SHA-256 of the sorted list as compact JSON."""
    listed = edges(g)
    text = json.dumps(listed, separators=(",", ":"))
    entry = {"args": args, "seed": seed, "nodes": g.number_of_nodes(), "edgeCount": len(listed), "sha256": hashlib.sha256(text.encode()).hexdigest()}
    return {**entry, "edges": listed} if len(listed) <= 300 else entry


def cases(make, argument_sets, seeds):
    return [case(args, seed, make(*args, seed)) for args in argument_sets for seed in seeds]


few = [0, 1, 42, 2024]
graphs = {
    "networkx": nx.__version__,
    "python": platform.python_version(),
    "watts_strogatz": cases(lambda n, k, p, s: nx.watts_strogatz_graph(n, k, p, seed=s), [[10, 2, 0.5], [30, 4, 0.5], [100, 4, 0.5], [200, 6, 0.1], [10000, 4, 0.5]], few),
    "newman_watts_strogatz": cases(lambda n, k, p, s: nx.newman_watts_strogatz_graph(n, k, p, seed=s), [[10, 2, 0.5], [30, 4, 0.5], [100, 4, 0.3], [200, 6, 0.1], [10000, 4, 0.5]], few),
    "erdos_renyi": cases(lambda n, p, s: nx.gnp_random_graph(n, p, seed=s), [[10, 0.5], [30, 0.2], [100, 0.05], [300, 0.01], [2000, 0.002]], few),
    "erdos_renyi_directed": cases(lambda n, p, s: nx.gnp_random_graph(n, p, seed=s, directed=True), [[10, 0.5], [30, 0.2], [100, 0.05], [300, 0.01], [1000, 0.002]], few),
    "fast_gnp": cases(lambda n, p, s: nx.fast_gnp_random_graph(n, p, seed=s), [[10, 0.5], [30, 0.2], [100, 0.05], [1000, 0.01], [10000, 0.0005]], few),
    "fast_gnp_directed": cases(lambda n, p, s: nx.fast_gnp_random_graph(n, p, seed=s, directed=True), [[10, 0.5], [30, 0.2], [100, 0.05], [1000, 0.01], [10000, 0.0005]], few),
    "barabasi_albert": cases(lambda n, m, s: nx.barabasi_albert_graph(n, m, seed=s), [[10, 1], [30, 2], [100, 3], [500, 5], [10000, 2]], few),
}
write("graphs.json", graphs)
print({k: len(v) for k, v in graphs.items() if isinstance(v, list)})
