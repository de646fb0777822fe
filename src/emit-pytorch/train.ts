/**
 * The Python after the networks: the runtime's optimizers, `from_run` over
 * the module's networks, and `train`, the entry point `torchrun` starts (DDP
 * over gloo on CPUs, NCCL on GPUs; one process without torchrun). Every
 * process draws the same shuffle from the seed and takes its equal slice of
 * each global batch, so DDP's average of the slices' mean gradients is the
 * global batch's mean gradient, and the weights follow a single process's.
 */
export const TRAIN = String.raw`# runtime/training/optimizers.ts. tfjs's Adam (tfjs-core adam_optimizer.ts) divides the
# bias-corrected first moment by sqrt(bias-corrected second moment) + epsilon, as
# torch.optim.Adam does; only the default epsilon differs (tfjs 1e-7, torch 1e-8).
# tfjs's momentum (v = m v + g, w -= rate v) is torch's SGD without dampening.
DEFAULT_LEARNING_RATE = {"adam": 0.001, "sgd": 0.01}


def make_optimizer(kind, parameters, learning_rate=None, momentum=0.9):
    """The optimizer dsc train would use: "adam" (beta1 0.9, beta2 0.999, epsilon 1e-7) or "sgd"."""
    rate = DEFAULT_LEARNING_RATE[kind] if learning_rate is None else learning_rate
    if kind == "adam":
        return torch.optim.Adam(parameters, lr=rate, betas=(0.9, 0.999), eps=1e-7)
    if kind == "sgd":
        return torch.optim.SGD(parameters, lr=rate, momentum=momentum)
    raise ValueError(f"unknown optimizer {kind!r}; expected 'adam' or 'sgd'")


def from_run(folder):
    """The network a run folder holds (by the name its model.json records), with its weights and masks."""
    meta, _ = read_run(folder)
    if meta.get("network") not in NETWORKS:
        raise ValueError(f"{folder}: network {meta.get('network')!r} is not one of {sorted(NETWORKS)}")
    return NETWORKS[meta["network"]].from_run(folder)


def read_samples(x_path, y_path, input_shape):
    """Inputs (float32, row-major [samples, *input_shape]) and class indices (int32 [samples]), little-endian."""
    with open(x_path, "rb") as file:
        x = torch.frombuffer(bytearray(file.read()), dtype=torch.float32)
    with open(y_path, "rb") as file:
        y = torch.frombuffer(bytearray(file.read()), dtype=torch.int32).long()
    return x.reshape(len(y), *input_shape), y


def _arguments(argv):
    import argparse

    parser = argparse.ArgumentParser(prog="train", description="Train a network of this module from a run folder.")
    parser.add_argument("--run", required=True, help="the run folder to start from: network, weights and masks")
    parser.add_argument("--x", required=True, help="inputs: float32 little-endian, [samples, *inputShape]")
    parser.add_argument("--y", required=True, help="class indices: int32 little-endian, [samples]")
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--out", required=True, help="the run folder to write (by the first process, after every epoch)")
    parser.add_argument("--batch-size", type=int, default=32, help="the global batch, split evenly over the processes")
    parser.add_argument("--optimizer", choices=sorted(DEFAULT_LEARNING_RATE), default="adam")
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--momentum", type=float, default=0.9, help="for sgd")
    parser.add_argument("--seed", type=int, default=0, help="the shuffle, the same on every process")
    return parser, parser.parse_args(argv)


def _distributed(model, DistributedDataParallel):
    # Every process reads its masks and index buffers from the same run folder, and gloo
    # cannot broadcast bool tensors: DDP syncs only the parameters (and averages their gradients).
    buffers = [name for name, _ in model.named_buffers()]
    DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(model, buffers)
    return DistributedDataParallel(model, broadcast_buffers=False)


def train(argv):
    """Trains with cross-entropy; masks are re-applied after every step, so masked weights stay exactly 0.

    Under torchrun, with DistributedDataParallel; the last global batch of an
    epoch is dropped when it is short, so every process's slice is equal.
    """
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    parser, args = _arguments(argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if args.batch_size % world != 0:
        parser.error(f"--batch-size {args.batch_size} does not split over {world} processes")
    if world > 1:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if world > 1 else 0
    device = torch.device(f"cuda:{os.environ.get('LOCAL_RANK', '0')}" if torch.cuda.is_available() else "cpu")
    model = from_run(args.run).to(device)
    x, y = read_samples(args.x, args.y, model.spec["inputShape"])
    network = _distributed(model, DistributedDataParallel) if world > 1 else model
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.learning_rate, args.momentum)
    local = args.batch_size // world
    for epoch in range(args.epochs):
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(args.seed + epoch))
        total, steps = 0.0, 0
        for start in range(0, len(y) - args.batch_size + 1, args.batch_size):
            rows = order[start + rank * local : start + (rank + 1) * local]
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(network(x[rows].to(device)), y[rows].to(device))
            loss.backward()
            optimizer.step()
            model.apply_masks()
            total, steps = total + loss.item(), steps + 1
        if rank == 0:
            model.to_run(args.out)
            print(json.dumps({"epoch": epoch + 1, "loss": total / max(steps, 1), "processes": world}), flush=True)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] != "train":
        print("usage: python3 MODULE.py train --run RUN --x X.bin --y Y.bin --epochs N --out OUT [options]", file=sys.stderr)
        print("       (torchrun --nproc_per_node N MODULE.py train ... for distributed data parallel)", file=sys.stderr)
        raise SystemExit(2)
    train(argv[1:])`;
