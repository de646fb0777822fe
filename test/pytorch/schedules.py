"""The PyTorch half of pruning.test.ts: each job's run folder is loaded, its
network's pruning schedules are driven through the points of training that
fit calls (epochs from 1, a number of steps in each) without training, and
the run folder after each epoch is written for the runtime to compare masks.

Usage: /usr/bin/python3 schedules.py JOBS.json
"""
import importlib.util
import json
import os
import sys


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        jobs = json.load(file)
    for job in jobs:
        spec = importlib.util.spec_from_file_location("generated", job["module"])
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.from_run(job["run"])
        pruning = module.Pruning(model, model.spec.get("pruning", []))
        for epoch in range(1, job["epochs"] + 1):
            pruning.epoch_begin(epoch)
            for _ in range(job["steps"]):
                pruning.batch_end()
            pruning.epoch_end()
            model.to_run(os.path.join(job["out"], f"epoch-{epoch}"))


if __name__ == "__main__":
    main()
