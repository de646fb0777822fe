/**
 * The Python after the networks: the runtime's optimizers, `from_run` over
 * the module's networks, and `train`, the entry point `torchrun` starts (DDP
 * over gloo on CPUs, NCCL on GPUs; one process without torchrun). Batches
 * are fit's: the runtime's seeded shuffle, ceil(samples / batch size) of them
 * an epoch, the last one short. Every process takes its share of each
 * global batch (as even as can be), and its loss is its samples' summed
 * cross-entropy over the global batch's count (times the processes, which
 * DDP's average divides out), so the averaged gradient is the global batch's
 * mean gradient whatever the shares, and the weights follow fit's.
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
    x, y = _read_array(x_path, torch.float32), _read_array(y_path, torch.int32).long()
    features = _size(input_shape)
    if len(x) != len(y) * features:
        raise ValueError(f"{x_path}: {len(x)} values are not {len(y)} samples ({y_path}) of {features} inputs")
    return x.reshape(len(y), *input_shape), y


def _read_array(path, dtype, sha256=None):
    with open(path, "rb") as file:
        data = bytearray(file.read())
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise ValueError(f"{path}: the data does not match the SHA-256 that samples.json records")
    if len(data) % 4 != 0:
        raise ValueError(f"{path}: {len(data)} bytes are not a whole number of 4-byte values")
    return torch.frombuffer(data, dtype=dtype) if data else torch.zeros(0, dtype=dtype)


def _size(shape):
    size = 1
    for d in shape:
        size *= d
    return size


SAMPLES_FORMAT = "deepstruct-samples"


def read_exported(folder, input_shape):
    """The parts ("train", "test") of a folder dsc export wrote, each (x, y), checked against its samples.json."""
    with open(os.path.join(folder, "samples.json"), encoding="utf-8") as file:
        manifest = json.load(file)
    if manifest.get("format") != SAMPLES_FORMAT or manifest.get("formatVersion") != 1:
        raise ValueError(f"{folder}: samples.json is not a {SAMPLES_FORMAT} manifest of format version 1")
    if manifest["featureSize"] != _size(input_shape):
        raise ValueError(f"{folder}: samples have {manifest['featureSize']} inputs, the network takes {_size(input_shape)}")
    parts = {}
    for name, part in manifest["parts"].items():
        x = _read_array(os.path.join(folder, os.path.basename(part["x"])), torch.float32, part["sha256"]["x"])
        y = _read_array(os.path.join(folder, os.path.basename(part["y"])), torch.int32, part["sha256"]["y"]).long()
        if len(y) != part["samples"] or len(x) != part["samples"] * manifest["featureSize"]:
            raise ValueError(f"{folder}: the {name} files do not hold {part['samples']} samples")
        parts[name] = (x.reshape(len(y), *input_shape), y)
    return parts


@torch.no_grad()
def evaluate(model, x, y, batch_size=500):
    """Mean cross-entropy and accuracy (the share of samples whose largest logit is their class), as dsc evaluate gives.

    In inference mode (batch norms use their running statistics, as dsc evaluate's predict does), then back to training.
    """
    was_training = model.training
    model.eval()
    loss, correct = 0.0, 0
    for start in range(0, len(y), batch_size):
        logits = model(x[start : start + batch_size])
        target = y[start : start + batch_size]
        loss += nn.functional.cross_entropy(logits, target, reduction="sum").item()
        correct += int((logits.argmax(1) == target).sum())
    model.train(was_training)
    return {"loss": loss / max(len(y), 1), "accuracy": correct / max(len(y), 1)}


def _arguments(argv):
    import argparse

    parser = argparse.ArgumentParser(prog="train", description="Train a network of this module, from a run folder or from scratch.")
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--run", help="the run folder to start from: network, weights and masks")
    start.add_argument("--network", choices=sorted(NETWORKS), help="start from scratch: weights drawn from --seed as dsc train draws them")
    parser.add_argument("--data", help="a folder dsc export wrote: trains on its train part, reports its test part")
    parser.add_argument("--x", help="inputs: float32 little-endian, [samples, *inputShape] (instead of --data)")
    parser.add_argument("--y", help="class indices: int32 little-endian, [samples] (with --x)")
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--out", required=True, help="the run folder to write (by the first process, after every epoch)")
    parser.add_argument("--batch-size", type=int, default=32, help="the global batch, split over the processes as evenly as it can be")
    parser.add_argument("--optimizer", choices=sorted(DEFAULT_LEARNING_RATE), default="adam")
    parser.add_argument("--lr", "--learning-rate", dest="learning_rate", type=float, help="the optimizer's rate (default adam 0.001, sgd 0.01)")
    parser.add_argument("--momentum", type=float, default=0.9, help="for sgd")
    parser.add_argument("--seed", type=int, default=0, help="the initial weights (from scratch) and the shuffle, the same on every process")
    parser.add_argument("--lr-schedule", help="constant (default), step:EVERY:FACTOR (e.g. step:10:0.5) or cosine[:MINIMUM]")
    parser.add_argument("--warmup", type=int, help="linear learning-rate warm-up over the first N epochs")
    parser.add_argument("--weight-decay", type=float, default=0.0, help="decoupled weight decay (AdamW) on the connections' weights")
    parser.add_argument("--l2", type=float, default=0.0, help="L2 penalty X * sum w^2 on the connections' weights, added to the loss")
    parser.add_argument("--clip-norm", type=float, help="rescale the gradients when their global norm exceeds X")
    parser.add_argument("--clip-value", type=float, help="clip every gradient entry to [-X, X]")
    parser.add_argument("--early-stopping", type=int, metavar="P", help="stop after P epochs without a better held-out loss (needs --data or --validation-split)")
    parser.add_argument("--restore-best", action="store_true", help="with --early-stopping: keep the best epoch's weights")
    parser.add_argument("--validation-split", type=float, metavar="F", help="validate on the last F of the training samples instead of the held-out part")
    # torch.distributed.launch (deprecated for torchrun) passes --local-rank (--local_rank before torch 2.0) unless
    # --use-env; torchrun sets LOCAL_RANK, which training_device reads. Accepted, and LOCAL_RANK set from it if unset.
    parser.add_argument("--local-rank", "--local_rank", dest="local_rank", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.local_rank is not None:
        os.environ.setdefault("LOCAL_RANK", str(args.local_rank))
    _check_arguments(parser, args)
    return parser, args


def _check_arguments(parser, args):
    """dsc train's checks on the same flags, each naming the flag."""
    if (args.data is None) == (args.x is None and args.y is None) or (args.x is None) != (args.y is None):
        parser.error("give --data DIR (from dsc export) or both --x and --y")
    if args.epochs < 1 or args.batch_size < 1:
        parser.error("--epochs and --batch-size must be at least 1")
    for flag, value in (("--lr", args.learning_rate), ("--clip-norm", args.clip_norm), ("--clip-value", args.clip_value)):
        if value is not None and not 0 < value < math.inf:
            parser.error(f"{flag} must be a positive number, got {value}")
    for flag, value in (("--weight-decay", args.weight_decay), ("--l2", args.l2)):
        if not 0 <= value < math.inf:
            parser.error(f"{flag} must be a non-negative number, got {value}")
    if args.warmup is not None and args.warmup < 1:
        parser.error(f"--warmup must be an integer >= 1, got {args.warmup}")
    if args.lr_schedule is not None:
        args.schedule = parse_lr_schedule(args.lr_schedule)
        if args.schedule is None:
            parser.error(f"--lr-schedule must be constant, step:EVERY:FACTOR (e.g. step:10:0.5) or cosine[:MINIMUM], got {args.lr_schedule!r}")
    else:
        args.schedule = None
    if args.validation_split is not None and not 0 < args.validation_split < 1:
        parser.error(f"--validation-split must be a fraction strictly between 0 and 1, got {args.validation_split}")
    if args.early_stopping is not None and (args.early_stopping < 0 or (args.data is None and args.validation_split is None)):
        parser.error("--early-stopping P takes an integer >= 0 and --data DIR (whose test part is the held-out loss it watches) or --validation-split F")
    if args.restore_best and args.early_stopping is None:
        parser.error("--restore-best goes with --early-stopping P")


def _starting_model(parser, args):
    if args.run is not None:
        return from_run(args.run)
    if args.network is None and len(NETWORKS) != 1:
        parser.error(f"give --run RUN or --network NAME (one of {', '.join(sorted(NETWORKS))})")
    cls = NETWORKS[args.network] if args.network is not None else next(iter(NETWORKS.values()))
    return cls(seed=args.seed)


@torch.no_grad()
def _share_masks(model, dist):
    """Every process takes the first process's masks and weights, dense, conv and recurrent (gloo broadcasts no bool
    tensors: masks as uint8)."""
    for mask, weight in masked_weights(model):
        shared = mask.to(torch.uint8)
        dist.broadcast(shared, 0)
        mask.copy_(shared.bool())
        dist.broadcast(weight.data, 0)
    model.apply_masks()


def _batch_gradients(model, x, y, count, world, dist):
    """RigL's gradients on the step's global batch of count samples: each process's share summed over its samples and
    divided by count, then summed over the processes (so uneven shares, and an empty one, weigh by their samples)."""
    gradients = dense_weight_gradients(model, x, y, count)
    if world > 1:
        for values in gradients.values():
            dist.all_reduce(values)
    return gradients


def process_group_backend():
    """NCCL where CUDA GPUs are and torch was built with it, else gloo (only gloo is run here: the test machines have
    no GPU). Asked of torch, not read off its version."""
    import torch.distributed as dist

    return "nccl" if torch.cuda.is_available() and dist.is_nccl_available() else "gloo"


def training_device():
    """The GPU of this process's LOCAL_RANK (torchrun sets it; one GPU a process) where CUDA is, else the CPU."""
    return torch.device(f"cuda:{os.environ.get('LOCAL_RANK', '0')}") if torch.cuda.is_available() else torch.device("cpu")


def _distributed(model, DistributedDataParallel, device):
    """DDP over the model's parameters only, on the process's GPU (device_ids) where it trains on one."""
    # Every process reads its masks and index buffers from the same run folder, and gloo
    # cannot broadcast bool tensors: DDP syncs only the parameters (and averages their gradients).
    buffers = [name for name, _ in model.named_buffers()]
    ignore = getattr(DistributedDataParallel, "_set_params_and_buffers_to_ignore_for_model", None)
    if ignore is not None:
        ignore(model, buffers)
    else:
        # The attribute that (private) method sets, which DDP reads, for a release without the method.
        model._ddp_params_and_buffers_to_ignore = buffers
    placed = {"device_ids": [device.index]} if device.type == "cuda" else {}
    return DistributedDataParallel(model, broadcast_buffers=False, **placed)


def _step(model, network, optimizer, batch, rate, args):
    """One optimizer step as runtime/training/step.ts takes it: the loss (with the learnable masks' penalty and the L2
    term), its gradients (averaged over the processes by DDP), clipping, decoupled weight decay, the optimizer's step at
    this step's rate, the masks re-applied.

    batch is (x, y, count, world): this process's share of a global batch of count samples over world processes. Its
    cross-entropy is summed and divided by count / world, so DDP's mean over the processes is the global batch's mean,
    each sample weighing alike however unevenly the batch split (a process with no sample adds 0). The penalties are
    the whole batch's on every process, so their mean is themselves. Returns this share's part of count times fit's
    batch loss (the summed cross-entropy plus its samples times the penalties); over the processes these add up to it.
    """
    xb, yb, count, world = batch
    set_learning_rate(optimizer, rate)
    # Zeros, not None (torch 2's default): every parameter takes its optimizer step on every release alike.
    optimizer.zero_grad(set_to_none=False)
    summed = nn.functional.cross_entropy(network(xb), yb, reduction="sum")
    # Divided (not multiplied by the reciprocal), so one process's loss is exactly cross_entropy's mean.
    loss, terms = summed / (count / world), []
    penalty = model.penalty()
    if penalty is not None:
        terms.append(penalty)
    if args.l2 > 0:
        terms.append(l2_penalty(model, args.l2))
    for term in terms:
        loss = loss + term
    loss.backward()
    if args.clip_norm is not None or args.clip_value is not None:
        clip_gradients(list(model.parameters()), args.clip_norm, args.clip_value)
    if args.weight_decay > 0:
        decay_weights(model, rate * args.weight_decay)
    optimizer.step()
    model.apply_masks()
    return summed.item() + len(yb) * sum(term.item() for term in terms)


def _start(argv):
    """The process group (under torchrun), the starting network with what createNetwork does after drawing, the data."""
    import torch.distributed as dist

    parser, args = _arguments(argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    device = training_device()
    if world > 1:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(process_group_backend())
    model = _starting_model(parser, args)
    pruning = Pruning(model, model.spec.get("pruning", []))
    if pruning.unsupported() is not None:
        parser.error(pruning.unsupported())
    growth = Growth(model, model.spec["growth"]) if model.spec.get("growth") else None
    if args.run is None:
        # What createNetwork does right after drawing: SET/RigL's sparse start, then pruning of epoch 0.
        if growth is not None:
            growth.sparse_start()
        pruning.at_creation()
    shape = model.spec["inputShape"]
    parts = read_exported(args.data, shape) if args.data is not None else {"train": read_samples(args.x, args.y, shape)}
    if args.validation_split is not None:
        parts["train"], parts["validation"] = _split_off(parser, *parts["train"], args.validation_split)
    return args, world, device, model.to(device), pruning, growth, parts


def _permutation(n, random):
    """data.ts permutation: 0 ... n-1 shuffled by Fisher-Yates from the end with the runtime's random source, as fit
    draws each epoch's batch order."""
    order = list(range(n))
    _shuffle(order, random)
    return torch.tensor(order, dtype=torch.long)


def _share(count, rank, world):
    """Where process rank's share of a global batch of count samples begins: floor(rank * count / world), so the
    shares differ by at most one sample (and a process gets none when count < world)."""
    return rank * count // world


def _split_off(parser, x, y, fraction):
    """data.ts splitOff (Keras's validation_split): the first floor(n * (1 - fraction)) samples train, the rest, in
    their order, are held out; before any shuffle, so the same samples on every process and every epoch."""
    kept = math.floor(len(y) * (1 - fraction))
    if kept == 0 or kept == len(y):
        parser.error(f"--validation-split {fraction} of {len(y)} samples leaves {'no sample to train on' if kept == 0 else 'no sample to validate on'}")
    return (x[:kept], y[:kept]), (x[kept:], y[kept:])


def train(argv):
    """Trains with cross-entropy; masks are re-applied after every step, so masked weights stay exactly 0.

    The rate follows --lr-schedule and --warmup step by step; --l2,
    --weight-decay, --clip-norm and --clip-value act in each step as in
    dsc train; --early-stopping watches the held-out loss after every epoch
    (with --validation-split, the loss of the training samples' last part, as
    fit's validationSplit; --data's test part is then still reported).
    Pruning schedules and SET/RigL updates act where fit's would (after
    steps and epochs), on every process from the same weights (RigL's
    gradients averaged over the processes), the first process's masks and
    weights then shared.

    Batches are fit's (fit.ts trainEpoch): each epoch a permutation drawn
    from the runtime's random source seeded with --seed (one stream over the
    whole run), cut into ceil(samples / batch size) batches, the last one
    short when the batch size does not divide the samples; its loss is the
    mean over its own samples, and it counts as a step for the rate, the
    warm-up, pruning and growth. Under torchrun, with
    DistributedDataParallel, each process takes its share of every global
    batch (_share), weighed by its samples (_step).
    """
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    args, world, device, model, pruning, growth, parts = _start(argv)
    rank = dist.get_rank() if world > 1 else 0
    x, y = parts["train"]
    network = _distributed(model, DistributedDataParallel, device) if world > 1 else model
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.learning_rate, args.momentum)
    batches = -(-len(y) // args.batch_size)
    base = DEFAULT_LEARNING_RATE[args.optimizer] if args.learning_rate is None else args.learning_rate
    rates = learning_rates(base, args.schedule, args.warmup, args.epochs, batches)
    stopper = EarlyStopping(args.early_stopping, args.restore_best) if args.early_stopping is not None else None
    pruning.train_begin()
    step, shuffle = 0, SeededRandom(args.seed)
    for epoch in range(args.epochs):
        order = _permutation(len(y), shuffle)
        total, began = 0.0, time.perf_counter()
        pruning.epoch_begin(epoch + 1)
        for start in range(0, len(y), args.batch_size):
            count = min(args.batch_size, len(y) - start)
            rows = order[start + _share(count, rank, world) : start + _share(count, rank + 1, world)]
            xb, yb = x[rows].to(device), y[rows].to(device)
            total += _step(model, network, optimizer, (xb, yb, count, world), rates(step), args)
            step += 1
            if pruning.batch_end() and world > 1:
                _share_masks(model, dist)
            if growth is not None and growth.batch_end(lambda: _batch_gradients(model, xb, yb, count, world, dist)) and world > 1:
                _share_masks(model, dist)
        if pruning.epoch_end() and world > 1:
            _share_masks(model, dist)
        seconds = time.perf_counter() - began
        if world > 1:
            # Each process saw its share of every batch: the shares' sums add up to the epoch's.
            summed = torch.tensor([total], dtype=torch.float64, device=device)
            dist.all_reduce(summed)
            total = summed.item()
        # fit's epoch loss: each batch's loss weighed by its samples, over the samples.
        report = {"epoch": epoch + 1, "loss": total / len(y), "processes": world, "seconds": round(seconds, 3)}
        report["learningRate"] = rates(step - 1) if step > 0 else rates(0)
        # Every process evaluates when early stopping needs it (the same weights everywhere, so the same decision).
        if "test" in parts and (rank == 0 or stopper is not None):
            held_out = evaluate(model, *(t.to(device) for t in parts["test"]))
            report.update(heldOutLoss=held_out["loss"], heldOutAccuracy=held_out["accuracy"])
        if "validation" in parts and (rank == 0 or stopper is not None):
            validation = evaluate(model, *(t.to(device) for t in parts["validation"]))
            report.update(validationLoss=validation["loss"], validationAccuracy=validation["accuracy"])
        watched = report.get("validationLoss", report.get("heldOutLoss"))
        stop = stopper is not None and stopper.update(model, epoch + 1, watched)
        if stop:
            report.update(stopped="earlyStopping", bestEpoch=stopper.best_epoch, restored=stopper.snapshot is not None)
        if rank == 0:
            model.to_run(args.out)
            print(json.dumps(report), flush=True)
        if stop:
            break
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] != "train":
        print("usage: python3 MODULE.py train [--run RUN | --network NAME] (--data DIR | --x X.bin --y Y.bin)", file=sys.stderr)
        print("         --epochs N --out OUT [options]", file=sys.stderr)
        print("       (torchrun --nproc_per_node N MODULE.py train ... for distributed data parallel)", file=sys.stderr)
        raise SystemExit(2)
    train(argv[1:])`;
