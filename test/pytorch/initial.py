"""The PyTorch half of initial.test.ts: every network of a generated module,
built from its compiled spec with a seed (no run folder) thinned and pruned
as createNetwork does at creation, written as a run
folder per network, for the TypeScript runtime to compare with its own
createNetwork(spec, {seed}).

Usage: /usr/bin/python3 initial.py MODULE.py SEED OUT_DIR
"""
import importlib.util
import os
import sys


def main():
    path, seed, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    spec = importlib.util.spec_from_file_location("generated", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, cls in module.NETWORKS.items():
        model = cls(seed=seed)
        # As createNetwork does right after drawing: SET/RigL's sparse start, then the one-shot pruning of epoch 0.
        if model.spec.get("growth"):
            module.Growth(model, model.spec["growth"]).sparse_start()
        module.Pruning(model, model.spec.get("pruning", [])).at_creation()
        model.to_run(os.path.join(out, name))


if __name__ == "__main__":
    main()
