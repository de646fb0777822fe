/**
 * The Python of pruning schedules (runtime/pruning/schedule.ts, prune.ts,
 * select.ts, the data-free saliencies of saliency.ts, synflow included): `Pruning` carries out
 * a network's schedules at the same points of training as `fit` — one-shot
 * at creation, after an epoch or a step; iterative after epochs; gradual
 * after steps — choosing the same connections from the same weights: the
 * lowest saliencies among live connections, ties pruned in block order,
 * then by position in the block; with rewind, the surviving weights go
 * back to the schedule's rewind point. Under DDP every process computes the
 * choice and then takes the first process's masks (train.ts broadcasts
 * them), so every process prunes the same connections.
 */
export const PRUNING = String.raw`# runtime/pruning: what the generated train carries out of a network's pruning schedules.
DATA_FREE_SALIENCIES = ("magnitude", "normalizedMagnitude", "random", "synflow")


class _Block:
    """A spec block's connections: a slice [first, first + count) of its kernel's weight and mask."""

    def __init__(self, name, target, layout, module, first, count, rows):
        self.name, self.target, self.layout, self.module = name, target, layout, module
        self.first, self.count, self.rows, self.cols = first, count, rows, layout.cols
        self.size = rows * layout.cols

    def entries(self):
        """Each connection's entry in the block's row-major [rows, cols]."""
        offset, cols = self.layout.row_offsets[self.name], self.cols
        rows = self.layout.rows_of[self.first : self.first + self.count]
        return [(r - offset) * cols + c for r, c in zip(rows, self.columns())]

    def columns(self):
        """Each connection's target neuron."""
        return self.layout.cols_of[self.first : self.first + self.count]

    def set_live(self, live, grown=None):
        """The block's mask becomes live; grown = (connections, values) sets those weights; masked weights become 0."""
        with torch.no_grad():
            self.module.mask.view(-1)[self.first : self.first + self.count] = live
            if grown is not None:
                self.module.weight.view(-1)[grown[0] + self.first] = grown[1]
            self.module.weight.mul_(self.module.mask)

    def live(self):
        """On the CPU, as weights(): choosing connections is host work (numpy sorts), wherever the model trains."""
        return self.module.live_mask().reshape(-1)[self.first : self.first + self.count].cpu()

    def weights(self):
        return self.module.weight.detach().reshape(-1)[self.first : self.first + self.count].double().cpu()

    def switch_off(self, live, connections):
        """The block's mask becomes live without these connections (indices within the block), as setMask(getMask
        with them off) does in the runtime; their weights become 0."""
        live = live.clone()
        live[connections] = False
        self.set_live(live)


def network_blocks(model):
    """The spec's blocks in spec order, each with its place in its kernel."""
    places = {}
    for layout, module in zip(model.layouts, model.kernels):
        for name, first, count in layout.block_slices:
            places[name] = (layout, module, first, count)
    layers = model.spec["layers"]
    blocks = []
    for b in model.spec["blocks"]:
        layout, module, first, count = places[b["name"]]
        blocks.append(_Block(b["name"], layout.target, layout, module, first, count, layers[b["source"]]["size"]))
    return blocks


def _random_saliencies(model, seed):
    """saliency.ts random: one draw per entry of every block, blocks in spec order, from createRandom(seed)."""
    random, draws = SeededRandom(seed), {}
    for block in network_blocks(model):
        values = torch.tensor([random.next() for _ in range(block.size)], dtype=torch.float64)
        draws[block.name] = values[torch.tensor(block.entries(), dtype=torch.int64)] if block.count else values[:0]
    return draws


def _synflow_saliencies(model):
    """saliency.ts synflow: |w dR/dw| with R the output sum of the all-ones input through every block's masked |W| (no
    biases, no nonlinearity), layer by layer as the runtime computes it: float32 products, float64 |w g|."""
    layers, blocks = model.spec["layers"], network_blocks(model)
    absolute = []
    for block in blocks:
        values = torch.zeros(block.size, dtype=torch.float32)
        if block.count:
            values[torch.tensor(block.entries(), dtype=torch.int64)] = block.weights().float().abs() * block.live()
        absolute.append(values.reshape(block.rows, block.cols).requires_grad_(True))
    sources = [b["source"] for b in model.spec["blocks"]]
    activations = [torch.ones(1, layers[0]["size"])]
    for target in range(1, len(layers)):
        total = torch.zeros(1, layers[target]["size"])
        parts = [activations[source] @ a for source, a, block in zip(sources, absolute, blocks) if block.target == target]
        for i, part in enumerate(parts):
            total = part if i == 0 else total + part
        activations.append(total)
    activations[-1].sum().backward()
    saliencies = {}
    for block, a in zip(blocks, absolute):
        entries = torch.tensor(block.entries(), dtype=torch.int64)
        gradient = a.grad.reshape(-1)[entries].double() if block.count else torch.zeros(0, dtype=torch.float64)
        weights = block.weights() * block.live()
        saliencies[block.name] = (weights * gradient).abs()
    return saliencies


def _saliency(block, live, kind, draws):
    """saliency.ts: |w| (magnitude), |w| / sigma of the block's live weights (normalizedMagnitude), or what was
    computed for every block at once (random draws, synflow), in float64."""
    if kind in ("random", "synflow"):
        return draws[block.name]
    w = block.weights()
    if kind == "magnitude":
        return w.abs()
    alive = w[live].numpy()
    count = max(1, len(alive))
    # Sequential sums (cumsum), as the runtime adds them, so sigma is the same double.
    total = float(np.cumsum(alive)[-1]) if len(alive) else 0.0
    squares = float(np.cumsum(alive * alive)[-1]) if len(alive) else 0.0
    mean = total / count
    sigma = math.sqrt(max(0.0, squares / count - mean * mean)) or 1.0
    return w.abs() * (1 / sigma)


def prune(model, blocks, amount, saliency="magnitude", scope="global", seed=0):
    """prune.ts: switches off the lowest-saliency live connections of the named blocks; returns how many.

    amount is ("percent", p) of each group's live connections or ("count", n);
    scope "global" ranks all the blocks together, "layer" each target layer's on its own; seed is the
    random saliency's.
    """
    if saliency not in DATA_FREE_SALIENCIES:
        raise ValueError(f"network {model.NAME}: saliency {saliency!r} is not carried out here; use one of {DATA_FREE_SALIENCIES}")
    by_name = {block.name: block for block in network_blocks(model)}
    groups = {}
    for name in blocks:
        block = by_name[name]
        groups.setdefault(block.target if scope == "layer" else "all", []).append(block)
    draws = _random_saliencies(model, seed) if saliency == "random" else _synflow_saliencies(model) if saliency == "synflow" else None
    pruned = 0
    for members in groups.values():
        lives = [block.live() for block in members]
        indices = [torch.nonzero(live).reshape(-1) for live in lives]
        values = torch.cat([_saliency(b, live, saliency, draws)[i] for b, live, i in zip(members, lives, indices)])
        n = len(values)
        wanted = min(amount[1], n) if amount[0] == "count" else math.floor(amount[1] / 100 * n)
        if wanted <= 0:
            continue
        # A stable sort: among equal saliencies the earlier candidate goes first, as select.ts lowest breaks ties.
        chosen = torch.from_numpy(np.argsort(values.numpy(), kind="stable")[:wanted].copy())
        offset = 0
        for block, live, connections in zip(members, lives, indices):
            mine = chosen[(chosen >= offset) & (chosen < offset + len(connections))] - offset
            block.switch_off(live, connections[mine])
            offset += len(connections)
        pruned += wanted
    return pruned


def _rewind_point(s):
    """An iterative schedule's rewind point: "init", "epochN", or None (no rewinding)."""
    rewind = s.get("rewind", "none") if s["kind"] == "iterative" else "none"
    if rewind == "none":
        return None
    return "init" if rewind == "init" else f"epoch{rewind['epoch']}"


class Pruning:
    """schedule.ts pruningHooks: call at_creation once, then train_begin() before the first step, epoch_begin(e) (from
    1), batch_end() after every step, epoch_end().

    batch_end and epoch_end return whether a schedule was due (from the step
    and epoch counts alone, so every process agrees when to share masks).
    With rewind, every parameter is kept at its rewind point (the start of
    training, or the end of epoch N before that epoch's pruning) and put back
    after a pruning that switched connections off, as the lottery-ticket
    procedure does; masks stay as pruned, optimizer state as it is.
    """

    def __init__(self, model, schedules):
        self.model, self.schedules, self.step, self.epoch = model, list(schedules), 0, 0
        self.snapshots = {}

    def unsupported(self):
        """Why these schedules cannot be carried out here, or None."""
        for s in self.schedules:
            if s.get("saliency", "magnitude") not in DATA_FREE_SALIENCIES:
                return f"network {self.model.NAME}: pruning by {s['saliency']!r} is not carried out here; use one of {DATA_FREE_SALIENCIES}"
            if s.get("unit", "weight") != "weight":
                return (f"network {self.model.NAME}: the {s['kind']} schedule prunes whole units (unit={s['unit']}), "
                        "which only the TypeScript runtime does so far; leave its unit out")
            if s.get("saliency") == "synflow" and any(self.model.spec.get(k) for k in ("features", "cells", "recurrent")):
                return (f"network {self.model.NAME}: the {s['kind']} schedule's synflow flows through conv or recurrent layers, "
                        "which only the TypeScript runtime computes so far; take saliency=magnitude, random or normalizedMagnitude")
            reached = self._beyond_dense(s)
            if reached is not None:
                return f"network {self.model.NAME}: the {s['kind']} schedule reaches {reached}, which only the TypeScript runtime prunes so far; name the dense layers in its layers=[...]"
        return None

    def _beyond_dense(self, s):
        """A conv or recurrent weight the schedule's scope holds (runtime/pruning/weights.ts), or None."""
        dense = {b["name"] for b in self.model.spec["blocks"]}
        if s.get("blocks") is not None:
            return next((f"'{name}'" for name in s["blocks"] if name not in dense), None)
        spec = self.model.spec
        if spec.get("features") or spec.get("cells"):
            return "the conv weights (its layers=[...] is left out)"
        if spec.get("recurrent"):
            return "the recurrent weights (its layers=[...] is left out)"
        return None

    def _snapshot(self, point):
        self.snapshots[point] = [p.detach().clone() for p in self.model.parameters()]

    @torch.no_grad()
    def _rewind(self, point):
        for parameter, saved in zip(self.model.parameters(), self.snapshots[point]):
            parameter.copy_(saved)
        self.model.apply_masks()

    def train_begin(self):
        if any(_rewind_point(s) == "init" for s in self.schedules):
            self._snapshot("init")

    def _scope(self, s):
        return list(s.get("blocks") or [b["name"] for b in self.model.spec["blocks"]])

    def _live_and_total(self, s):
        blocks = [b for b in network_blocks(self.model) if b.name in self._scope(s)]
        return sum(int(b.live().sum()) for b in blocks), sum(b.size for b in blocks)

    def _run(self, s, amount):
        return prune(self.model, self._scope(s), amount, s.get("saliency", "magnitude"), s.get("scope", "global"), s.get("seed", 0))

    def _prune_to(self, s, target):
        live, total = self._live_and_total(s)
        count = live - math.ceil((1 - target) * total - 1e-9)
        if count > 0:
            self._run(s, ("count", count))

    def at_creation(self):
        """The one-shot schedules of epoch 0, as createNetwork carries them out right after drawing the weights."""
        for s in self.schedules:
            if s["kind"] == "oneShot" and s.get("atEpoch") == 0:
                self._run(s, ("percent", s["percent"]))

    def epoch_begin(self, epoch):
        self.epoch = epoch

    def batch_end(self):
        self.step += 1
        due = False
        for s in self.schedules:
            if s["kind"] == "oneShot" and s.get("atStep") == self.step:
                self._run(s, ("percent", s["percent"]))
                due = True
            if s["kind"] == "gradual" and s["start"] <= self.step <= s["end"] and (self.step - s["start"]) % s["every"] == 0:
                progress = (self.step - s["start"]) / max(1, s["end"] - s["start"])
                self._prune_to(s, s["final"] + (s["initial"] - s["final"]) * math.pow(1 - progress, 3))
                due = True
        return due

    def epoch_end(self):
        due = False
        for s in self.schedules:
            if _rewind_point(s) == f"epoch{self.epoch}":
                self._snapshot(f"epoch{self.epoch}")
        for s in self.schedules:
            if s["kind"] == "oneShot" and s.get("atEpoch") == self.epoch:
                self._run(s, ("percent", s["percent"]))
                due = True
            first = s.get("start", s.get("every")) if s["kind"] == "iterative" else 0
            if s["kind"] == "iterative" and self.epoch >= first and (self.epoch - first) % s["every"] == 0:
                due = True
                live, total = self._live_and_total(s)
                if total > 0 and 1 - live / total < s["target"] - 1e-12:
                    to_target = live - math.ceil((1 - s["target"]) * total - 1e-9)
                    pruned = self._run(s, ("count", min(to_target, math.floor(s["percent"] / 100 * live))))
                    if pruned > 0 and _rewind_point(s) in self.snapshots:
                        self._rewind(_rewind_point(s))
        return due`;
