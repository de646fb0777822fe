"""PyTorch peers of `npm run bench lenet`, `bench conv` and `bench recurrent`.

Run through bench/torch_peers.py (task kinds "lenet", "conv", "lstm"), one
round at a time: bench/peers.ts's interleavedWithPeer alternates a round of
ours with a round of these, so both sides meet the same load. Every figure
is the least CPU time (time.process_time, this process, one torch thread) of
`repeats` runs after `warmup` untimed ones, as bench/timing.ts's
blockMinimum takes ours. Returns {"seconds": {name: s}, ...}.
"""

import numpy as np
import torch

from torch_peers import CsrPeer, Network, least_cpu_seconds


def adam_step(model, loss_of):
    """One Adam step of `model` on the loss `loss_of()` computes."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        loss_of().backward()
        optimizer.step()

    return step


def dense_network(sizes):
    layers = []
    for i in range(1, len(sizes)):
        layers.append(torch.nn.Linear(sizes[i - 1], sizes[i]))
        if i < len(sizes) - 1:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


class CooAutogradPeer(torch.nn.Module):
    """The pruned network as one sparse COO matrix per layer over its live connections, autograd's backward (torch 1.13
    has none for CSR products: `torch.sparse.mm` on COO is the sparse product autograd differentiates)."""

    def __init__(self, net):
        super().__init__()
        self.sizes = net.sizes
        self.indices, self.values, self.biases = [], torch.nn.ParameterList(), torch.nn.ParameterList()
        for t in range(1, len(net.sizes)):
            sel = net.target_layer == t
            rows = net.targets[sel] - net.offsets[t]
            cols = net.sources[sel] - net.offsets[t - 1]
            self.indices.append(torch.stack([rows, cols]))
            self.values.append(torch.nn.Parameter(net.weights[sel].clone()))
            self.biases.append(torch.nn.Parameter(net.bias(t)[:, None]))

    def forward(self, x):
        h = x.t()
        for i, (indices, values, bias) in enumerate(zip(self.indices, self.values, self.biases)):
            w = torch.sparse_coo_tensor(indices, values, (self.sizes[i + 1], self.sizes[i]))
            h = torch.sparse.mm(w, h) + bias
            if i < len(self.indices) - 1:
                h = torch.relu(h)
        return h.t()


def step_agreement(net, lr=0.5):
    """One SGD step of the CSR peer's hand-written backward and of COO autograd from the same weights: the largest
    difference of their logits afterwards, and how far the step moved them (equal gradients: the first ~1e-6)."""
    csr, coo = CsrPeer(net), CooAutogradPeer(net)
    with torch.no_grad():
        before = coo(net.x)
        csr.step(net.x, net.labels, torch.optim.SGD(csr.parameters, lr=lr))
    sgd = torch.optim.SGD(coo.parameters(), lr=lr)
    sgd.zero_grad()
    torch.nn.functional.cross_entropy(coo(net.x), net.labels).backward()
    sgd.step()
    with torch.no_grad():
        after_coo, after_csr = coo(net.x), csr.logits(net.x)
    return {"stepDifference": float((after_coo - after_csr).abs().max()), "stepMoved": float((after_coo - before).abs().max())}


def lenet_task(directory, task):
    """LeNet dense in torch.nn, and our pruned network (its live connections) two sparse ways; forward and Adam step."""
    net = Network(directory, task)
    timing = task["warmup"], task["repeats"]
    torch.manual_seed(0)
    dense = dense_network(net.sizes)
    loss = torch.nn.functional.cross_entropy
    coo = CooAutogradPeer(net)
    csr = CsrPeer(net)
    csr_adam = torch.optim.Adam(csr.parameters, lr=1e-3)
    seconds = {}
    with torch.no_grad():
        # Before any step changes the weights: both are our network, on our batch.
        logits = {"csrLogits": csr.logits(net.x).flatten().tolist(), "cooLogits": coo(net.x).flatten().tolist()}
        seconds["denseForward"] = least_cpu_seconds(lambda: dense(net.x), *timing)
        seconds["cooForward"] = least_cpu_seconds(lambda: coo(net.x), *timing)
        seconds["csrForward"] = least_cpu_seconds(lambda: csr.forward(net.x), *timing)
        seconds["csrStep"] = least_cpu_seconds(lambda: csr.step(net.x, net.labels, csr_adam), *timing)
    seconds["denseStep"] = least_cpu_seconds(adam_step(dense, lambda: loss(dense(net.x), net.labels)), *timing)
    seconds["cooStep"] = least_cpu_seconds(adam_step(coo, lambda: loss(coo(net.x), net.labels)), *timing)
    return {"seconds": seconds, **logits, **step_agreement(net)}


def conv_layer_times(config, timing):
    """A Conv2d (3×3, same, bias) of `config`, NCHW (torch's own layout): forward, and the input and weight gradients of
    the sum of its output (what bench/conv.ts's step of the masked conv computes)."""
    batch, size, cin, cout = config["batch"], config["size"], config["cin"], config["cout"]
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(cin, cout, 3, padding=1)
    x = torch.rand(batch, cin, size, size, requires_grad=True)

    def step():
        x.grad, conv.weight.grad, conv.bias.grad = None, None, None
        conv(x).sum().backward()

    with torch.no_grad():
        forward = least_cpu_seconds(lambda: conv(x), *timing)
    return forward, least_cpu_seconds(step, *timing)


def conv_network(channels, hidden, outputs):
    """conv, batch norm, relu, 2×2 max pool per entry of `channels` (1×28×28 in), then dense `hidden`, relu, `outputs`."""
    layers, cin, size = [], 1, 28
    for cout in channels:
        layers += [torch.nn.Conv2d(cin, cout, 3, padding=1), torch.nn.BatchNorm2d(cout), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
        cin, size = cout, size // 2
    layers += [torch.nn.Flatten(), torch.nn.Linear(cin * size * size, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, outputs)]
    return torch.nn.Sequential(*layers)


def conv_network_times(channels, batch, timing):
    """Forward (inference mode) and a training step's gradients (training mode, softmax cross-entropy, no update: what
    bench/conv.ts's pruningTimes computes on ours)."""
    torch.manual_seed(0)
    model = conv_network(channels, 128, 10)
    x = torch.rand(batch, 1, 28, 28)
    y = torch.arange(batch) % 10

    def step():
        model.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()

    model.eval()
    with torch.no_grad():
        forward = least_cpu_seconds(lambda: model(x), *timing)
    model.train()
    return forward, least_cpu_seconds(step, *timing)


def conv_task(task):
    timing = task["warmup"], task["repeats"]
    seconds = {}
    for i, config in enumerate(task["configs"]):
        seconds[f"layer{i}Forward"], seconds[f"layer{i}Step"] = conv_layer_times(config, timing)
    for name, channels in task["networks"].items():
        seconds[f"{name}Forward"], seconds[f"{name}Step"] = conv_network_times(channels, task["batch"], timing)
    return {"seconds": seconds}


class LstmStack(torch.nn.Module):
    """torch.nn.LSTM over `layers` layers of `hidden`, then a dense output on the last step."""

    def __init__(self, inputs, hidden, layers, outputs):
        super().__init__()
        self.lstm = torch.nn.LSTM(inputs, hidden, num_layers=layers, batch_first=True)
        self.out = torch.nn.Linear(hidden, outputs)

    def forward(self, x):
        return self.out(self.lstm(x)[0][:, -1])


def lstm_task(task):
    timing = task["warmup"], task["repeats"]
    torch.manual_seed(0)
    model = LstmStack(task["inputs"], task["hidden"], task["layers"], task["outputs"])
    x = torch.rand(task["batch"], task["steps"], task["inputs"]) * 2 - 1
    target = torch.rand(task["batch"], task["outputs"]) * 2 - 1
    seconds = {}
    with torch.no_grad():
        seconds["forward"] = least_cpu_seconds(lambda: model(x), *timing)
    seconds["step"] = least_cpu_seconds(adam_step(model, lambda: torch.nn.functional.mse_loss(model(x), target)), *timing)
    return {"seconds": seconds, "parameters": sum(p.numel() for p in model.parameters())}
