"""The PyTorch half of the parity tests (parity.test.ts): for each job, a run
folder written by the TypeScript runtime is loaded into the generated module;
its logits on a fixed batch, the folder written back unchanged, and the run
folders after one SGD and one Adam step go where the job says.

Usage: /usr/bin/python3 parity.py JOBS.json
"""
import importlib.util
import json
import os
import sys

import torch

def load_module(path):
    spec = importlib.util.spec_from_file_location("generated", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_batch(job, model):
    with open(job["x"], "rb") as file:
        x = torch.frombuffer(bytearray(file.read()), dtype=torch.float32)
    with open(job["y"], "rb") as file:
        data = bytearray(file.read())
    # Class indices for cross-entropy, one target per sample for mean squared error.
    if job["loss"] == "mse":
        y = torch.frombuffer(data, dtype=torch.float32).reshape(-1, 1)
    else:
        y = torch.frombuffer(data, dtype=torch.int32).long()
    return x.reshape(len(y), *model.spec["inputShape"]), y


def one_step(module, job, kind, x, y):
    model = module.from_run(job["run"])
    # The generated module's own optimizers, SGD without momentum.
    optimizer = module.make_optimizer(kind, model.parameters(), job["learningRate"][kind], momentum=0)
    optimizer.zero_grad()
    # Means over the batch, as runtime/training/losses.ts computes them.
    if job["loss"] == "mse":
        loss = torch.nn.functional.mse_loss(model(x), y)
    else:
        loss = torch.nn.functional.cross_entropy(model(x), y)
    # Learnable masks' sparsity penalty, which fit adds to the loss as well.
    penalty = model.penalty()
    if penalty is not None:
        loss = loss + penalty
    loss.backward()
    optimizer.step()
    model.apply_masks()
    model.to_run(os.path.join(job["out"], kind))
    return loss.item()


def write_logits(logits, path):
    with open(path, "wb") as file:
        file.write(logits.numpy().astype("<f4").tobytes())


def run(module, job):
    model = module.from_run(job["run"])
    x, y = read_batch(job, model)
    # Inference (batch norms on their running statistics), then training mode (on the batch's), as predict's option says.
    model.eval()
    with torch.no_grad():
        write_logits(model(x), os.path.join(job["out"], "logits.bin"))
    model.to_run(os.path.join(job["out"], "roundtrip"))
    model.train()
    with torch.no_grad():
        write_logits(model(x), os.path.join(job["out"], "training-logits.bin"))
    return {kind: one_step(module, job, kind, x, y) for kind in ("sgd", "adam")}


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        jobs = json.load(file)
    torch.set_num_threads(1)
    losses = [run(load_module(job["module"]), job) for job in jobs]
    print(json.dumps(losses))


if __name__ == "__main__":
    main()
