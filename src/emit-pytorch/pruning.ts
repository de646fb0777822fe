/**
 * The Python of pruning schedules (runtime/pruning/schedule.ts, prune.ts,
 * select.ts, weights.ts, the data-free saliencies of saliency.ts, synflow
 * included): `Pruning` carries out a network's schedules at the same points
 * of training as `fit` — one-shot at creation, after an epoch or a step;
 * iterative after epochs; gradual after steps — choosing the same
 * connections from the same weights. Every prunable weight of the runtime is
 * reached (`prunable_weights`: convs of the stem, the cells and the head,
 * recurrent layers' input and hidden weights, then the dense blocks, the
 * order of weights.ts prunableWeights): the lowest saliencies among live
 * entries, ties pruned in that order, then by position in the weight, a
 * conv's positions row-major HWIO (the runtime's layout, not PyTorch's
 * OIHW); with rewind, the surviving weights go back to the schedule's rewind
 * point. Under DDP every process computes the choice and then takes the
 * first process's masks (train.ts broadcasts them), so every process prunes
 * the same connections.
 */
export const PRUNING = String.raw`# runtime/pruning: what the generated train carries out of a network's pruning schedules.
DATA_FREE_SALIENCIES = ("magnitude", "normalizedMagnitude", "random", "synflow")


class _Block:
    """A spec block's connections: a slice [first, first + count) of its kernel's weight and mask."""

    kind = "dense"

    def __init__(self, name, target, layout, module, first, count, rows):
        self.name, self.target, self.layout, self.module = name, target, layout, module
        self.first, self.count, self.rows, self.cols = first, count, rows, layout.cols
        self.size = rows * layout.cols
        # Layer scope ranks a dense layer's incoming blocks together.
        self.layer = layout.name

    def from_entries(self, values):
        """Per-entry values (row-major [rows, cols]) as live() and weights() index them: per connection."""
        return values[torch.tensor(self.entries(), dtype=torch.int64)] if self.count else values[:0]

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


class _Tensor:
    """A conv's or recurrent weight's entries, row-major in the runtime's mask shape (weights.ts): HWIO for a conv, whose
    PyTorch weight is OIHW (runtime_view gives the HWIO view), [rows, gates * hidden] for a recurrent weight."""

    def __init__(self, name, kind, layer, weight, mask, runtime_view):
        self.name, self.kind, self.layer = name, kind, layer
        self.weight, self.mask, self.runtime_view = weight, mask, runtime_view
        self.size = mask.numel()

    def from_entries(self, values):
        return values

    def live(self):
        return self.runtime_view(self.mask).reshape(-1).cpu()

    def weights(self):
        return self.runtime_view(self.weight.detach()).reshape(-1).double().cpu()

    def switch_off(self, live, connections):
        """The mask without these entries; their weights become 0."""
        live = live.clone()
        live[connections] = False
        with torch.no_grad():
            view = self.runtime_view(self.mask)
            view.copy_(live.reshape(view.shape).to(self.mask.device))
            self.weight.mul_(self.mask)


def prunable_weights(model):
    """weights.ts prunableWeights: every conv (stem, cells in the spec's order, head), every recurrent layer's input and
    hidden weights, then the dense blocks in spec order; layer scope groups a recurrent layer's two weights together."""
    convs = [
        _Tensor(layer["name"], "conv", layer["name"], module.weight, module.mask, MaskedConv.hwio_view)
        for stack in model.feature_stacks()
        for layer, module in zip(stack.specs, stack.layers)
        if isinstance(module, MaskedConv)
    ]
    recurrent = []
    for layer in model.recurrent.layers if model.recurrent is not None else []:
        recurrent.append(_Tensor(f"{layer.name}.input", "recurrent", layer.name, layer.input_weight, layer.input_mask, lambda t: t))
        recurrent.append(_Tensor(f"{layer.name}.hidden", "recurrent", layer.name, layer.hidden_weight, layer.hidden_mask, lambda t: t))
    return convs + recurrent + network_blocks(model)


def masked_weights(model):
    """(mask, weight) of every masked weight (dense kernels, convs, recurrent weights): what every process takes from the
    first under DDP after a pruning or growth update."""
    kernels = [(module.mask, module.weight) for module in model.kernels if module.weight is not None]
    return [(w.mask, w.weight) for w in prunable_weights(model) if w.kind != "dense"] + kernels


def _random_saliencies(model, seed):
    """saliency.ts random: one draw per entry of every prunable weight from createRandom(seed), the dense blocks first
    in spec order, then the convs and recurrent weights in prunable_weights' order, whatever the scope."""
    random, draws = SeededRandom(seed), {}
    weights = prunable_weights(model)
    for weight in [w for w in weights if w.kind == "dense"] + [w for w in weights if w.kind != "dense"]:
        values = torch.tensor([random.next() for _ in range(weight.size)], dtype=torch.float64)
        draws[weight.name] = weight.from_entries(values)
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


def _saliency(weight, live, kind, draws):
    """saliency.ts: |w| (magnitude), |w| / sigma of the weight's live entries (normalizedMagnitude), or what was
    computed for every weight at once (random draws, synflow), in float64."""
    if kind in ("random", "synflow"):
        return draws[weight.name]
    w = weight.weights()
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
    """prune.ts: switches off the lowest-saliency live entries of the named weights (dense blocks, convs, recurrent
    weights, as getMask names them); returns how many.

    amount is ("percent", p) of each group's live entries, ("count", n), or
    ("sparsity", t, p): each group brought to sparsity t (never back), taking at
    most p percent of its live entries (p None: no cap);
    scope "global" ranks all the weights together, "layer" each layer's on its
    own (a dense layer's incoming blocks, a conv, a recurrent layer's two
    weights); seed is the random saliency's. Candidates go in the model's
    order of weights whatever the order of the names, so ties fall as the runtime's.
    """
    if saliency not in DATA_FREE_SALIENCIES:
        raise ValueError(f"network {model.NAME}: saliency {saliency!r} is not carried out here; use one of {DATA_FREE_SALIENCIES}")
    weights = prunable_weights(model)
    unknown = sorted(set(blocks) - {w.name for w in weights})
    if unknown:
        raise ValueError(f"network {model.NAME}: unknown block {unknown[0]!r}; prunable weights are {[w.name for w in weights]}")
    in_scope = [w for w in weights if w.name in set(blocks)]
    beyond = next((w for w in in_scope if w.kind != "dense"), None)
    if saliency == "synflow" and beyond is not None:
        raise ValueError(f"network {model.NAME}: saliency 'synflow' reaches the dense blocks only, not {beyond.kind} weight {beyond.name!r}")
    groups = _ranking_groups(in_scope, scope)
    draws = _random_saliencies(model, seed) if saliency == "random" else _synflow_saliencies(model) if saliency == "synflow" else None
    pruned = 0
    for members in groups:
        lives = [weight.live() for weight in members]
        indices = [torch.nonzero(live).reshape(-1) for live in lives]
        values = torch.cat([_saliency(w, live, saliency, draws)[i] for w, live, i in zip(members, lives, indices)])
        n = len(values)
        if amount[0] == "sparsity":
            wanted = _to_sparsity(n, sum(w.size for w in members), amount[1], amount[2])
        else:
            wanted = min(amount[1], n) if amount[0] == "count" else math.floor(amount[1] / 100 * n)
        if wanted <= 0:
            continue
        # A stable sort: among equal saliencies the earlier candidate goes first, as select.ts lowest breaks ties.
        chosen = torch.from_numpy(np.argsort(values.numpy(), kind="stable")[:wanted].copy())
        offset = 0
        for weight, live, connections in zip(members, lives, indices):
            mine = chosen[(chosen >= offset) & (chosen < offset + len(connections))] - offset
            weight.switch_off(live, connections[mine])
            offset += len(connections)
        pruned += wanted
    return pruned


def _ranking_groups(weights, scope):
    """prune.ts rankingGroups: the whole scope, or under layer scope each layer's weights, in order."""
    groups = {}
    for weight in weights:
        groups.setdefault(weight.layer if scope == "layer" else "all", []).append(weight)
    return list(groups.values())


def _to_sparsity(live, total, target, at_most_percent):
    """prune.ts countToSparsity: how many of a group's live entries bring it to sparsity target, at most that percent of them."""
    wanted = live - math.ceil((1 - target) * total - 1e-9)
    if at_most_percent is not None:
        wanted = min(wanted, math.floor(at_most_percent / 100 * live))
    return max(0, wanted)


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
            known = {w.name for w in prunable_weights(self.model)}
            unknown = [name for name in s.get("blocks") or [] if name not in known]
            if unknown:
                return f"network {self.model.NAME}: the {s['kind']} schedule names {unknown[0]!r}, which is no prunable weight of it"
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
        """The schedule's weights by name: its blocks, or every prunable weight (schedule.ts scope)."""
        return list(s["blocks"]) if s.get("blocks") is not None else [w.name for w in prunable_weights(self.model)]

    def _weights(self, s):
        scope = set(self._scope(s))
        return [w for w in prunable_weights(self.model) if w.name in scope]

    def _below_target(self, s, target):
        """schedule.ts belowTarget: whether an entry must go for the scope (under layer scope, some layer) to reach target."""
        groups = _ranking_groups(self._weights(s), s.get("scope", "global"))
        return any(_to_sparsity(sum(int(w.live().sum()) for w in g), sum(w.size for w in g), target, None) > 0 for g in groups)

    def _run(self, s, amount):
        return prune(self.model, self._scope(s), amount, s.get("saliency", "magnitude"), s.get("scope", "global"), s.get("seed", 0))

    def _prune_to(self, s, target):
        if self._below_target(s, target):
            self._run(s, ("sparsity", target, None))

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
                if self._below_target(s, s["target"]):
                    pruned = self._run(s, ("sparsity", s["target"], s["percent"]))
                    if pruned > 0 and _rewind_point(s) in self.snapshots:
                        self._rewind(_rewind_point(s))
        return due`;
