"""PyTorch peers of deepstruct's benchmarks, run by bench/peers.ts in the same run as ours.

    python3 bench/torch_peers.py DIR

DIR/task.json says what to measure; the arrays it names are raw little-endian
files beside it, written by bench/peers.ts from our own model, so both sides
compute the same network on the same inputs. Prints one JSON line.

Tasks (kind):
  network   a network's forward pass and Adam step, two ways:
            "plan": Python deepstruct's plan, one masked dense matrix per pair of
            connected depths, summed per target depth, autograd;
            "csr": one CSR matrix per target depth (dense where a depth is at least
            25% dense, as the input projection is), features-major, with a
            hand-written backward.
            Also the logits of both, to check they are our network.
  dense     a dense network of given layer sizes: epochs of Adam steps, seconds per step.
  kthvalue  torch.kthvalue of |w| over given weights (global magnitude pruning's threshold);
            with "blocks", also torch.nn.utils.prune.global_unstructured (L1Unstructured)
            over those weights as one nn.Linear per block, the whole pruning call.
  peak      torch.mm 256 x 1024 x 1024 (the BLAS's sgemm), seconds.
  lenet, conv, lstm
            the peers of `bench lenet`, `bench conv` and `bench recurrent`, by
            least CPU time: see bench/torch_model_peers.py.

Every timing: `warmup` untimed runs, then the least CPU time (time.process_time,
this process, on `threads` torch threads) of `repeats`, as bench/timing.ts's
blockMinimum takes ours; one round at a time, bench/peers.ts's
interleavedWithPeer alternating it with a round of ours. Every task answers
{"seconds": {figure: s}, ...}.
"""
import json
import os
import sys
import time

import numpy as np
import torch


def least_cpu_seconds(run, warmup, repeats):
    for _ in range(warmup):
        run()
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def load(directory, name, dtype):
    return torch.from_numpy(np.fromfile(os.path.join(directory, name), dtype=dtype))


class Network:
    """Our network as edges: layer offsets and sizes, global source and target of every connection."""

    def __init__(self, directory, task):
        self.sizes = task["sizes"]
        self.offsets = np.cumsum([0] + self.sizes).tolist()
        self.sources = load(directory, "sources.bin", np.int32).long()
        self.targets = load(directory, "targets.bin", np.int32).long()
        self.weights = load(directory, "weights.bin", np.float32)
        self.biases = load(directory, "biases.bin", np.float32)  # every non-input neuron, in order
        self.batch = task["batch"]
        self.x = load(directory, "x.bin", np.float32).reshape(self.batch, self.sizes[0])
        self.labels = load(directory, "labels.bin", np.int32).long()
        layer_of = np.repeat(np.arange(len(self.sizes)), self.sizes)
        self.source_layer = torch.from_numpy(layer_of[self.sources.numpy()])
        self.target_layer = torch.from_numpy(layer_of[self.targets.numpy()])

    def bias(self, t):
        start = self.offsets[t] - self.sizes[0]
        return self.biases[start : start + self.sizes[t]].clone()


def plan_peer(net):
    """Python deepstruct's plan: a masked dense [source, target] matrix per connected pair of depths."""
    blocks = []
    pairs = torch.unique(net.source_layer * len(net.sizes) + net.target_layer).tolist()
    for pair in pairs:
        s, t = divmod(pair, len(net.sizes))
        sel = (net.source_layer == s) & (net.target_layer == t)
        rows = net.sources[sel] - net.offsets[s]
        cols = net.targets[sel] - net.offsets[t]
        w = torch.zeros(net.sizes[s], net.sizes[t])
        w[rows, cols] = net.weights[sel]
        mask = torch.zeros(net.sizes[s], net.sizes[t])
        mask[rows, cols] = 1
        blocks.append((s, t, torch.nn.Parameter(w), mask))
    biases = [None] + [torch.nn.Parameter(net.bias(t)) for t in range(1, len(net.sizes))]
    last = len(net.sizes) - 1

    def forward(x):
        acts = [x]
        for t in range(1, len(net.sizes)):
            pre = biases[t]
            for s, tt, w, mask in blocks:
                if tt == t:
                    pre = pre + acts[s] @ (w * mask)
            acts.append(pre if t == last else torch.relu(pre))
        return acts[last]

    parameters = [b[2] for b in blocks] + biases[1:]
    return forward, parameters


class CsrPeer:
    """One sparse (CSR) or dense matrix per target depth over all earlier neurons, features-major, hand-written backward."""

    def __init__(self, net):
        self.net = net
        self.depths = []
        for t in range(1, len(net.sizes)):
            sel = net.target_layer == t
            rows = net.targets[sel] - net.offsets[t]
            cols = net.sources[sel]
            values = net.weights[sel]
            lo, hi = int(cols.min()), int(cols.max()) + 1
            if rows.numel() >= 0.25 * net.sizes[t] * (hi - lo):
                w = torch.zeros(net.sizes[t], hi - lo)
                w[rows, cols - lo] = values
                mask = torch.zeros_like(w)
                mask[rows, cols - lo] = 1
                self.depths.append({"dense": True, "lo": lo, "hi": hi, "w": w, "mask": mask})
            else:
                order = torch.argsort(rows * net.offsets[t] + cols)
                rows, cols, values = rows[order], cols[order], values[order]
                crow = torch.zeros(net.sizes[t] + 1, dtype=torch.long)
                crow[1:] = torch.cumsum(torch.bincount(rows, minlength=net.sizes[t]), 0)
                self.depths.append({"dense": False, "crow": crow, "col": cols, "rows": rows, "w": values.clone(), "lo": 0, "hi": net.offsets[t]})
            self.depths[-1]["b"] = net.bias(t)
        self.parameters = [p for d in self.depths for p in (d["w"], d["b"])]
        for p in self.parameters:
            p.requires_grad_(False)
        self.total = net.offsets[-1]

    def matrix(self, d, t):
        return torch.sparse_csr_tensor(d["crow"], d["col"], d["w"], (self.net.sizes[t], self.net.offsets[t]))

    def forward(self, x):
        net = self.net
        h = torch.empty(self.total, x.shape[0])
        h[: net.sizes[0]] = x.t()
        last = len(net.sizes) - 1
        for t, d in enumerate(self.depths, start=1):
            block = h[d["lo"] : d["hi"]]
            z = (d["w"] * d["mask"]) @ block if d["dense"] else self.matrix(d, t) @ block
            z += d["b"][:, None]
            h[net.offsets[t] : net.offsets[t] + net.sizes[t]] = z if t == last else torch.relu(z)
        return h

    def logits(self, x):
        return self.forward(x)[self.net.offsets[-2] :].t()

    def step(self, x, labels, optimizer):
        net = self.net
        h = self.forward(x)
        out = h[net.offsets[-2] :]
        g = torch.zeros_like(h)
        g[net.offsets[-2] :] = (torch.softmax(out, 0) - torch.nn.functional.one_hot(labels, net.sizes[-1]).t()) / x.shape[0]
        for t in range(len(net.sizes) - 1, 0, -1):
            d = self.depths[t - 1]
            rows = slice(net.offsets[t], net.offsets[t] + net.sizes[t])
            dz = g[rows] if t == len(net.sizes) - 1 else g[rows] * (h[rows] > 0)
            d["b"].grad = dz.sum(1)
            block = h[d["lo"] : d["hi"]]
            if d["dense"]:
                d["w"].grad = (dz @ block.t()) * d["mask"]
                if d["hi"] > net.sizes[0]:
                    g[d["lo"] : d["hi"]] += (d["w"] * d["mask"]).t() @ dz
            else:
                # Each connection's gradient, dz[target] · h[source] over the batch (faster here than sampled_addmm).
                d["w"].grad = (dz[d["rows"]] * block[d["col"]]).sum(1)
                # The sources' gradient, scattered onto their rows only (a transposed CSR product would add a
                # whole [earlier neurons, batch] block per depth, which costs more than the connections here).
                g.index_add_(0, d["col"], dz[d["rows"]] * d["w"][:, None])
        optimizer.step()


def network_task(directory, task):
    net = Network(directory, task)
    result = {}
    with torch.no_grad():
        csr = CsrPeer(net)
        result["csrLogits"] = csr.logits(net.x).flatten().tolist()
    forward, parameters = plan_peer(net)
    with torch.no_grad():
        result["planLogits"] = forward(net.x).flatten().tolist()
    warmup, repeats = task["warmup"], task["repeats"]
    seconds = {}
    if task.get("plan", True):
        adam = torch.optim.Adam(parameters, lr=1e-3)

        def plan_step():
            adam.zero_grad()
            torch.nn.functional.cross_entropy(forward(net.x), net.labels).backward()
            adam.step()

        with torch.no_grad():
            seconds["planForward"] = least_cpu_seconds(lambda: forward(net.x), warmup, repeats)
        seconds["planStep"] = least_cpu_seconds(plan_step, warmup, repeats)
    adam = torch.optim.Adam(csr.parameters, lr=1e-3)
    with torch.no_grad():
        seconds["csrForward"] = least_cpu_seconds(lambda: csr.forward(net.x), warmup, repeats)
        seconds["csrStep"] = least_cpu_seconds(lambda: csr.step(net.x, net.labels, adam), warmup, repeats)
    result["seconds"] = seconds
    return result


def dense_task(task):
    """Epochs of `samples` random samples in batches of `batch`, Adam, no shuffle: the least epoch over its steps."""
    sizes, batch, samples = task["sizes"], task["batch"], task["samples"]
    torch.manual_seed(0)
    layers = []
    for i in range(1, len(sizes)):
        layers.append(torch.nn.Linear(sizes[i - 1], sizes[i]))
        if i < len(sizes) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(samples, sizes[0])
    y = torch.randint(0, sizes[-1], (samples,))

    def epoch():
        for start in range(0, samples, batch):
            adam.zero_grad()
            torch.nn.functional.cross_entropy(model(x[start : start + batch]), y[start : start + batch]).backward()
            adam.step()

    steps = -(-samples // batch)
    step = least_cpu_seconds(epoch, task["warmup"], task["repeats"]) / steps
    return {"seconds": {"step": step}, "parameters": sum(p.numel() for p in model.parameters())}


def kthvalue_task(directory, task):
    w = load(directory, "weights.bin", np.float32)
    k = task["k"]
    seconds = least_cpu_seconds(lambda: torch.kthvalue(w.abs(), k), task["warmup"], task["repeats"])
    result = {"seconds": {"kthvalue": seconds}, "threshold": float(torch.kthvalue(w.abs(), k).values)}
    if "blocks" in task:
        result["seconds"]["globalUnstructured"], result["pruned"] = global_unstructured_seconds(w, task)
    return result


def global_unstructured_seconds(w, task):
    """torch.nn.utils.prune.global_unstructured with L1Unstructured pruning task["k"] of the weights, one nn.Linear per
    block ([source, target] row-major in `w`, in order), each run on fresh unpruned modules (made untimed): the
    whole call a PyTorch user makes, from ranking to the masks and the reparametrised weights."""
    from torch.nn.utils import prune

    shapes = task["blocks"]
    modules = []

    def reset():
        modules.clear()
        offset = 0
        for rows, cols in shapes:
            linear = torch.nn.Linear(rows, cols, bias=False)
            with torch.no_grad():
                linear.weight.copy_(w[offset : offset + rows * cols].view(rows, cols).t())
            modules.append(linear)
            offset += rows * cols

    def run():
        prune.global_unstructured([(m, "weight") for m in modules], pruning_method=prune.L1Unstructured, amount=task["k"])

    best = float("inf")
    for r in range(task["warmup"] + task["repeats"]):
        reset()
        start = time.process_time()
        run()
        if r >= task["warmup"]:
            best = min(best, time.process_time() - start)
    return best, int(sum(int((m.weight_mask == 0).sum()) for m in modules))


def peak_task(task):
    a, b = torch.rand(256, 1024), torch.rand(1024, 1024)
    return {"seconds": {"peak": least_cpu_seconds(lambda: a @ b, task["warmup"], task["repeats"])}}


def main():
    directory = sys.argv[1]
    with open(os.path.join(directory, "task.json")) as f:
        task = json.load(f)
    torch.set_num_threads(task.get("threads", 1))
    kind = task["kind"]
    if kind == "network":
        result = network_task(directory, task)
    elif kind == "dense":
        result = dense_task(task)
    elif kind == "kthvalue":
        result = kthvalue_task(directory, task)
    elif kind == "peak":
        result = peak_task(task)
    elif kind in ("lenet", "conv", "lstm"):
        import torch_model_peers

        result = {"lenet": lambda: torch_model_peers.lenet_task(directory, task), "conv": lambda: torch_model_peers.conv_task(task), "lstm": lambda: torch_model_peers.lstm_task(task)}[kind]()
    else:
        raise SystemExit(f"torch_peers.py: unknown task kind {kind!r}")
    result["torch"] = torch.__version__
    result["threads"] = torch.get_num_threads()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
