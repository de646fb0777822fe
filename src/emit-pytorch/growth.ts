/**
 * The Python of dynamic sparse training (runtime/growing/dynamic-sparse.ts)
 * and of the runtime's seeded random source (runtime/random.ts: sfc32
 * seeded through splitmix32, draw for draw): the sparse start a SET or RigL
 * network is created with, and the drop-and-grow updates after steps. The
 * updates choose what the runtime chooses from the same weights, masks,
 * gradients and random stream; under DDP, the gradient RigL ranks by is
 * all-reduced first, and the first process's masks and weights are shared.
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


def _erk_densities(blocks, density):
    raw = [(b.rows + b.cols) / (b.rows * b.cols) for b in blocks]
    dense, budget = set(), density * sum(b.size for b in blocks)
    while True:
        fixed = sum(blocks[i].size for i in dense)
        scaled = sum(0 if i in dense else raw[i] * b.size for i, b in enumerate(blocks))
        epsilon = (budget - fixed) / scaled
        over = next((i for i in range(len(blocks)) if i not in dense and epsilon * raw[i] > 1), -1)
        if over == -1:
            return [1 if i in dense else epsilon * raw[i] for i in range(len(blocks))]
        dense.add(over)


class Growth:
    """dynamic-sparse.ts: sparse_start() at creation, then batch_end(gradients) after every step.

    batch_end takes a function giving the dense gradients (per block, one value
    per connection) for RigL; it returns whether an update was due (from the
    step count alone, so every process agrees when to share masks).
    """

    def __init__(self, model, config):
        self.model, self.config, self.step = model, config, 0
        wanted = set(config.get("blocks") or [b["name"] for b in model.spec["blocks"]])
        self.blocks = [b for b in network_blocks(model) if b.name in wanted]
        self.random = SeededRandom(config.get("seed", 0) + 1)

    def unsupported(self):
        """Why this growth cannot be carried out here, or None: the runtime's also reaches conv and recurrent weights."""
        dense = {b["name"] for b in self.model.spec["blocks"]}
        spec, blocks = self.model.spec, self.config.get("blocks")
        if blocks is not None:
            reached = next((f"'{name}'" for name in blocks if name not in dense), None)
        elif spec.get("features") or spec.get("cells"):
            reached = "the conv weights (its layers=[...] is left out)"
        else:
            reached = "the recurrent weights (its layers=[...] is left out)" if spec.get("recurrent") else None
        if reached is None:
            return None
        return f"network {self.model.NAME}: grow reaches {reached}, which only the TypeScript runtime grows so far; name the dense layers in its layers=[...]"

    def sparse_start(self):
        """applySparseStart: each block keeps a density's share of its structural connections, chosen from the seed."""
        config, random = self.config, SeededRandom(self.config.get("seed", 0))
        density = 1 - config["sparsity"]
        densities = _erk_densities(self.blocks, density) if config.get("distribution") == "erk" else [density] * len(self.blocks)
        for block, share in zip(self.blocks, densities):
            order = list(range(block.count))  # connections, in the order of their entries
            _shuffle(order, random)
            live = torch.zeros(block.count, dtype=torch.bool)
            live[order[: min(_js_round(share * block.size), block.count)]] = True
            block.set_live(live)
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
        for block in self.blocks:
            self._update(block, fraction, None if dense is None else dense[block.name])
        return True

    def _update(self, block, fraction, gradient):
        """updateBlock: drop the k smallest |w| of the live, grow k of the inactive (largest |gradient|, or at random)."""
        live_mask = block.live()
        live = torch.nonzero(live_mask).reshape(-1)
        inactive = torch.nonzero(~live_mask).reshape(-1)
        k = min(math.floor(fraction * len(live)), len(inactive))
        if k == 0:
            return
        drop = live[_lowest(block.weights()[live].abs(), k)]
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
            columns = torch.tensor(block.columns(), dtype=torch.int64)
            fan_in = torch.bincount(columns[live_mask], minlength=block.cols)
            activation = self.model.spec["activation"]
            # Drawn in the order the runtime draws: grown connections by position.
            values = torch.tensor([self.random.uniform(-1, 1) * _init_limit(activation, int(fan_in[columns[g]])) for g in grow.tolist()])
        block.set_live(live_mask, grown=(grow, values))


def dense_weight_gradients(model, x, y):
    """Model.denseWeightGradients: per block, the mean cross-entropy's gradient of every connection's weight in
    the product (W * M), masked connections included: where growing would help most."""
    weighted = [module for module in model.kernels if module.weight is not None]
    for module in weighted:
        module.probe = torch.zeros_like(module.weight, requires_grad=True)
    try:
        loss = nn.functional.cross_entropy(model(x), y)
        gradients = dict(zip(weighted, torch.autograd.grad(loss, [module.probe for module in weighted])))
    finally:
        for module in weighted:
            module.probe = None
    return {b.name: gradients[b.module].reshape(-1)[b.first : b.first + b.count] for b in network_blocks(model)}


def _lowest(values, k):
    """select.ts lowest: the k smallest, ties by position, in ascending position (as the runtime visits them)."""
    chosen = np.argsort(values.numpy(), kind="stable")[:k]
    return torch.from_numpy(np.sort(chosen).copy())`;
