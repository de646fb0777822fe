"""The half of torch-releases.test.ts that needs torch: the generated module's process-group and device logic on a
machine it cannot run here, a GPU one (torch.cuda faked), and on releases whose DDP lacks a private method.

Usage: /usr/bin/python3 devices.py MODULE X.bin Y.bin NETWORK   (prints one JSON object)

With CUDA faked available (LOCAL_RANK 1, two processes), _start must make cuda:1 the current device before the
process group starts, start it over NCCL, and move the network to cuda:1; _distributed must hand DDP that device and
every buffer to ignore, through DDP's method where it has one and through the attribute that method sets where not.
torch.distributed.launch's --local-rank (--local_rank before torch 2.0) must set LOCAL_RANK when it is unset.
"""
import importlib.util
import json
import os
import sys

import torch
import torch.distributed as dist


def load(path):
    spec = importlib.util.spec_from_file_location("generated", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_gpu_start(module, x, y, network):
    """_start with two processes on a GPU machine, recording the calls that place the process."""
    calls = []
    torch.cuda.is_available = lambda: True
    dist.is_nccl_available = lambda: True
    torch.cuda.set_device = lambda device: calls.append(["set_device", str(device)])
    dist.init_process_group = lambda backend, **kwargs: calls.append(["init_process_group", backend])
    moved = torch.nn.Module.to
    torch.nn.Module.to = lambda self, *args, **kwargs: calls.append(["to", str(args[0])]) or self
    os.environ.update(WORLD_SIZE="2", LOCAL_RANK="1", RANK="1")
    try:
        _, world, device, model, *_ = module._start(["--network", network, "--x", x, "--y", y, "--epochs", "1", "--out", "unused"])
    finally:
        torch.nn.Module.to = moved
    return {"calls": calls, "world": world, "device": str(device)}, model


class RecordingDDP:
    """Stands for DistributedDataParallel: records what the module hands it."""

    made = []

    def __init__(self, model, **kwargs):
        RecordingDDP.made.append({key: value for key, value in kwargs.items()})


class WithIgnore(RecordingDDP):
    @staticmethod
    def _set_params_and_buffers_to_ignore_for_model(model, names):
        model.ignored_by_method = list(names)


def distributed_calls(module, model):
    """_distributed on cuda:1 with a DDP that has the private method and one that has not."""
    device = torch.device("cuda:1")
    module._distributed(model, WithIgnore, device)
    by_method = getattr(model, "ignored_by_method", None)
    module._distributed(model, RecordingDDP, device)
    module._distributed(model, RecordingDDP, torch.device("cpu"))
    buffers = [name for name, _ in model.named_buffers()]
    return {
        "kwargs": RecordingDDP.made,
        "methodIgnoresEveryBuffer": by_method == buffers,
        "attributeIgnoresEveryBuffer": getattr(model, "_ddp_params_and_buffers_to_ignore", None) == buffers,
        "buffers": len(buffers),
    }


def local_rank_flags(module, x, y, network):
    """What --local-rank and --local_rank leave in LOCAL_RANK when it was unset, and that torchrun's LOCAL_RANK wins."""
    seen = []
    for flag, preset in (("--local-rank", None), ("--local_rank", None), ("--local-rank", "0")):
        os.environ.pop("LOCAL_RANK", None)
        if preset is not None:
            os.environ["LOCAL_RANK"] = preset
        module._arguments([flag, "3", "--network", network, "--x", x, "--y", y, "--epochs", "1", "--out", "unused"])
        seen.append(os.environ.get("LOCAL_RANK"))
    return seen


def main():
    path, x, y, network = sys.argv[1:5]
    module = load(path)
    flags = local_rank_flags(module, x, y, network)
    start, model = fake_gpu_start(module, x, y, network)
    print(json.dumps({"start": start, "ddp": distributed_calls(module, model), "localRank": flags}))


if __name__ == "__main__":
    main()
