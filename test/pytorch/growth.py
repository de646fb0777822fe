"""The PyTorch half of growth.test.ts: each job's run folder is loaded, its
network's SET or RigL updates are driven through a number of steps on one
fixed batch (RigL's gradients taken on it) without training, and the run
folder is written for the runtime to compare masks and weights; it fails when
the updates leave a module in another mode than they found it in.

Usage: /usr/bin/python3 growth.py JOBS.json
"""
import importlib.util
import json
import os
import sys

import torch


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        jobs = json.load(file)
    torch.set_num_threads(1)
    for job in jobs:
        spec = importlib.util.spec_from_file_location("generated", job["module"])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.from_run(job["run"])
        x, y = module.read_samples(job["x"], job["y"], model.spec["inputShape"])
        growth = module.Growth(model, model.spec["growth"])
        # Mixed modes (the model in eval mode, its first child in train mode): RigL's train-mode gradient puts each back.
        model.eval()
        next(model.children()).train()
        modes = [m.training for m in model.modules()]
        for _ in range(job["steps"]):
            growth.batch_end(lambda: module.dense_weight_gradients(model, x, y))
        if [m.training for m in model.modules()] != modes:
            sys.exit(f"{job['out']}: the modules' modes changed: {modes} before, {[m.training for m in model.modules()]} after")
        model.to_run(os.path.join(job["out"], "grown"))


if __name__ == "__main__":
    main()
