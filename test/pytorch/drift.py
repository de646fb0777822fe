"""The PyTorch half of drift.test.ts: one run folder trained twice side by side, in float32 and in float64, as
schedules.py trains (its pruning schedules driven through epochs, one SGD step on the job's batch before each step's
hooks), a run folder of each written after every step. Before each step's backward pass it counts the max-pool
windows whose chosen entry (the one the gradient is routed to) differs between the two: a near-tie that float32
rounding tips the other way.

Usage: /usr/bin/python3 drift.py JOB.json   (prints one JSON line a step: step, poolChoicesApart)
"""
import copy
import importlib.util
import json
import os
import sys

import torch


def load_module(path):
    spec = importlib.util.spec_from_file_location("generated", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    # Synflow's flow is float32 by design (as the runtime's): the float64 model chooses from a float32 copy of itself.
    synflow = module._synflow_saliencies
    module._synflow_saliencies = lambda m: synflow(m if next(m.parameters()).dtype == torch.float32 else copy.deepcopy(m).float())
    return module


def record_pool_choices(module, model):
    """After each forward pass, choices[i] holds max-pool i's chosen entry per window (max_pool2d's indices)."""
    choices = {}
    pools = [m for m in model.modules() if isinstance(m, module.Pool) and m.layer["kind"] == "maxPool"]
    for i, pool in enumerate(pools):

        def hook(pool, inputs, output, i=i):
            padded = torch.nn.functional.pad(inputs[0], pool.pad, value=-float("inf"))
            size, stride = tuple(pool.layer["size"]), tuple(pool.layer["stride"])
            choices[i] = torch.nn.functional.max_pool2d(padded, size, stride, return_indices=True)[1]

        pool.register_forward_hook(hook)
    return choices


def main():
    torch.set_num_threads(1)
    with open(sys.argv[1], encoding="utf-8") as file:
        job = json.load(file)
    module = load_module(job["module"])
    runs = []
    for dtype in (torch.float32, torch.float64):
        model = module.from_run(job["run"]).to(dtype)
        x, y = module.read_samples(job["x"], job["y"], model.spec["inputShape"])
        optimizer = module.make_optimizer("sgd", model.parameters(), job["learningRate"], momentum=0)
        pruning = module.Pruning(model, model.spec.get("pruning", []))
        pruning.train_begin()
        runs.append((model, x.to(dtype), y, optimizer, pruning, record_pool_choices(module, model), str(dtype).split(".")[1]))
    step = 0
    for epoch in range(1, job["epochs"] + 1):
        for run in runs:
            run[4].epoch_begin(epoch)
        for _ in range(job["steps"]):
            step += 1
            losses = []
            for model, x, y, optimizer, _, _, _ in runs:
                optimizer.zero_grad()
                losses.append(torch.nn.functional.cross_entropy(model(x), y))
            apart = sum(int((runs[0][5][i] != runs[1][5][i]).sum()) for i in runs[0][5])
            for (model, _, _, optimizer, pruning, _, name), loss in zip(runs, losses):
                loss.backward()
                optimizer.step()
                model.apply_masks()
                pruning.batch_end()
                model.to_run(os.path.join(job["out"], name, f"step-{step}"))
            print(json.dumps({"step": step, "poolChoicesApart": apart}), flush=True)
        for run in runs:
            run[4].epoch_end()


if __name__ == "__main__":
    main()
