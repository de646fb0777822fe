/**
 * The Python of dynamic sparse training (runtime/growing/dynamic-sparse.ts)
 * and of the runtime's seeded random source (runtime/random.ts: sfc32
 * seeded through splitmix32, draw for draw): the sparse start a SET or RigL
 * network is created with, and the drop-and-grow updates after steps, over
 * every weight pruning reaches (dense blocks, convs, recurrent weights). The
 * updates choose what the runtime chooses from the same weights, masks,
 * gradients and random stream; RigL's gradient is the train-mode loss's (batch
 * norms over the batch, running statistics put back), as the runtime's; under
 * DDP, the gradient RigL ranks by is all-reduced first, and the first
 * process's masks and weights are shared.
 */
export const GROWTH = String.raw`# runtime/random.ts and runtime/growing/dynamic-sparse.ts.
_UINT32 = 0xFFFFFFFF


class SeededRandom:
    """The runtime's createRandom(seed): sfc32 seeded through splitmix32, the same sequence draw for draw."""

    def __init__(self, seed):
        state, words = math.floor(seed) & _UINT32, []
        for _ in range(4):
            state = (state + 0x9E3779B9) & _UINT32
            z = ((state ^ (state >> 16)) * 0x85EBCA6B) & _UINT32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & _UINT32
            words.append(z ^ (z >> 16))
        self.a, self.b, self.c, self.d = words
        for _ in range(12):  # the runtime's warm-up
            self._next_uint32()

    def _next_uint32(self):
        a, b, c, d = self.a, self.b, self.c, self.d
        t = (a + b + d) & _UINT32
        self.d = (d + 1) & _UINT32
        self.a = b ^ (b >> 9)
        self.b = (c + (c << 3)) & _UINT32
        c = ((c << 21) & _UINT32) | (c >> 11)
        self.c = (c + t) & _UINT32
        return t

    def next(self):
        return self._next_uint32() / 4294967296

    def int(self, n):
        return math.floor(self.next() * n)

    def uniform(self, low, high):
        return low + (high - low) * self.next()


def _shuffle(items, random):
    for i in range(len(items) - 1, 0, -1):
        j = random.int(i + 1)
        items[i], items[j] = items[j], items[i]


def _init_limit(activation, fan_in):
    if fan_in <= 0:
        return 0.0
    return math.sqrt((6 if activation in ("relu", "elu") else 3) / fan_in)


def _js_round(x):
    """Math.round: halves go up."""
    return math.floor(x + 0.5)


def _erk_densities(weights, density):
    """ERK: epsilon * sum(shape) / prod(shape) in the runtime's shapes ([rows, cols], HWIO, [rows, gates * hidden])."""
    raw = [sum(w.shape) / w.size for w in weights]
    dense, budget = set(), density * sum(w.size for w in weights)
    while True:
        fixed = sum(weights[i].size for i in dense)
        scaled = sum(0 if i in dense else raw[i] * w.size for i, w in enumerate(weights))
        epsilon = (budget - fixed) / scaled
        over = next((i for i in range(len(weights)) if i not in dense and epsilon * raw[i] > 1), -1)
        if over == -1:
            return [1 if i in dense else epsilon * raw[i] for i in range(len(weights))]
        dense.add(over)


class Growth:
    """dynamic-sparse.ts: sparse_start() at creation, then batch_end(gradients) after every step, over every weight
    pruning reaches (convs, recurrent weights, dense blocks, in prunable_weights' order) or those the spec names.

    batch_end takes a function giving the dense gradients (per weight, one value
    per candidate) for RigL; it returns whether an update was due (from the step
    count alone, so every process agrees when to share masks).
    """

    def __init__(self, model, config):
        self.model, self.config, self.step = model, config, 0
        self.names = set(config.get("blocks") or [w.name for w in prunable_weights(model)])
        self.random = SeededRandom(config.get("seed", 0) + 1)

    def _scope(self):
        """The weights in scope, looked up afresh (moving the model to a device replaces its buffers)."""
        return [w for w in prunable_weights(self.model) if w.name in self.names]

    def sparse_start(self):
        """applySparseStart: each weight keeps a density's share of its structural entries, chosen from the seed."""
        config, random = self.config, SeededRandom(self.config.get("seed", 0))
        density, weights = 1 - config["sparsity"], self._scope()
        densities = _erk_densities(weights, density) if config.get("distribution") == "erk" else [density] * len(weights)
        for weight, share in zip(weights, densities):
            allowed = weight.allowed()  # candidates, in the order of their entries
            _shuffle(allowed, random)
            live = torch.zeros(weight.count, dtype=torch.bool)
            live[allowed[: min(_js_round(share * weight.size), len(allowed))]] = True
            weight.set_live(live)
        self.model.apply_masks()

    def batch_end(self, gradients):
        self.step += 1
        config = self.config
        if self.step % config["every"] != 0 or self.step > config["stop"]:
            return False
        fraction = config["dropFraction"]
        if config.get("decay", "constant") != "constant":
            fraction = fraction / 2 * (1 + math.cos(math.pi * self.step / config["stop"]))
        dense = gradients() if config["method"] == "rigl" else None
        for weight in self._scope():
            self._update(weight, fraction, None if dense is None else dense[weight.name].cpu())
        return True

    def _update(self, weight, fraction, gradient):
        """updateWeight: drop the k smallest |w| of the live, grow k of the inactive its structure allows (largest
        |gradient|, or at random)."""
        live_mask = weight.live()
        allowed = torch.zeros(weight.count, dtype=torch.bool)
        allowed[torch.tensor(weight.allowed(), dtype=torch.int64)] = True
        live = torch.nonzero(live_mask).reshape(-1)
        inactive = torch.nonzero(~live_mask & allowed).reshape(-1)
        k = min(math.floor(fraction * len(live)), len(inactive))
        if k == 0:
            return
        drop = live[_lowest(weight.weights()[live].abs(), k)]
        if gradient is not None:
            grow = inactive[_lowest(-gradient.double()[inactive].abs(), k)]
        else:
            order = inactive.tolist()
            _shuffle(order, self.random)
            grow = torch.tensor(order[:k], dtype=torch.int64)
        live_mask = live_mask.clone()
        live_mask[drop] = False
        live_mask[grow] = True
        values = torch.zeros(k)
        if self.config.get("regrow", "zero") == "random":
            columns = torch.as_tensor(weight.columns(), dtype=torch.int64)
            fan_in = torch.bincount(columns[live_mask], minlength=weight.cols)
            activation = self.model.spec["activation"]
            # Drawn in the order the runtime draws: grown entries as chosen.
            values = torch.tensor([self.random.uniform(-1, 1) * _init_limit(activation, int(fan_in[columns[g]])) for g in grow.tolist()])
        weight.set_live(live_mask, grown=(grow, values))


def _zero_probes(model, tensors):
    """Zero tensors to add to every masked weight product, whose gradients are the product's, masked entries included."""
    weighted = [module for module in model.kernels if module.weight is not None]
    probes = [torch.zeros_like(module.weight) for module in weighted] + [torch.zeros_like(t.weight) for t in tensors]
    for probe in probes:
        probe.requires_grad_(True)
    owners = [(module, "probe") for module in weighted] + [t.probe for t in tensors]
    return weighted, owners, probes


def _training_mode(model):
    """Puts model in train mode and returns what puts it back: every module's previous mode, and every batch norm's
    running statistics (ours, and torch's running_mean, running_var and num_batches_tracked) as they were, as the
    runtime's keepingState: a gradient read in train mode must not count the batch into the statistics."""
    norms = (BatchNorm, nn.modules.batchnorm._BatchNorm)
    modes = [(module, module.training) for module in model.modules()]
    saved = [(b, b.detach().clone()) for module in model.modules() if isinstance(module, norms) for b in module.buffers(recurse=False)]
    model.train()

    def restore():
        with torch.no_grad():
            for buffer, value in saved:
                buffer.copy_(value)
        for module, mode in modes:
            module.training = mode

    return restore


def dense_weight_gradients(model, x, y, count=None):
    """Model.denseWeightGradients as RigL takes it: per prunable weight (a block's per connection, a conv's or
    recurrent weight's per entry in the runtime's order), the mean cross-entropy's gradient of the product W * M,
    masked entries included: where growing would help most. In train mode, the loss a step takes (batch norms normalise
    the batch by its own statistics, the global batch's under DDP), the running statistics and modes put back after.

    count (default: x's samples) is what the summed cross-entropy is divided by: under DDP the global batch's size,
    so the processes' gradients add up to the global batch's mean. Every process calls it on its share (its batch
    norms all-reduce the batch's moments), and each puts its own statistics back."""
    tensors = [w for w in prunable_weights(model) if w.kind != "dense"]
    weighted, owners, probes = _zero_probes(model, tensors)
    restore = _training_mode(model)
    try:
        for (owner, attribute), probe in zip(owners, probes):
            setattr(owner, attribute, probe)
        loss = nn.functional.cross_entropy(model(x), y, reduction="sum") / (len(y) if count is None else count)
        found = torch.autograd.grad(loss, probes)
    finally:
        for owner, attribute in owners:
            setattr(owner, attribute, None)
        restore()
    kernels = dict(zip(weighted, found))
    result = {t.name: t.runtime_view(g).reshape(-1).contiguous() for t, g in zip(tensors, found[len(weighted) :])}
    for b in network_blocks(model):
        result[b.name] = kernels[b.module].reshape(-1)[b.first : b.first + b.count].contiguous()
    return result


def _lowest(values, k):
    """select.ts lowest: the k smallest, ties by position, in ascending position (as the runtime visits them)."""
    chosen = np.argsort(values.numpy(), kind="stable")[:k]
    return torch.from_numpy(np.sort(chosen).copy())`;
