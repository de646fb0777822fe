"""The PyTorch half of pruning.test.ts: each job's run folder is loaded, its
network's pruning schedules are driven through the points of training that
fit calls (epochs from 1, a number of steps in each), with one SGD step on
the job's batch before each step's hooks when the job says train, and the
run folder after each epoch is written for the runtime to compare.

Usage: /usr/bin/python3 schedules.py JOBS.json
"""
import importlib.util
import json
import os
import sys

import torch


def main():
    torch.set_num_threads(1)
    with open(sys.argv[1], encoding="utf-8") as file:
        jobs = json.load(file)
    for job in jobs:
        spec = importlib.util.spec_from_file_location("generated", job["module"])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.from_run(job["run"])
        x, y = module.read_samples(job["x"], job["y"], model.spec["inputShape"])
        optimizer = module.make_optimizer("sgd", model.parameters(), job["learningRate"], momentum=0)
        pruning = module.Pruning(model, model.spec.get("pruning", []))
        pruning.train_begin()
        for epoch in range(1, job["epochs"] + 1):
            pruning.epoch_begin(epoch)
            for _ in range(job["steps"]):
                if job["train"]:
                    optimizer.zero_grad()
                    torch.nn.functional.cross_entropy(model(x), y).backward()
                    optimizer.step()
                    model.apply_masks()
                pruning.batch_end()
            pruning.epoch_end()
            model.to_run(os.path.join(job["out"], f"epoch-{epoch}"))


if __name__ == "__main__":
    main()
