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
 * point. With a unit (runtime/pruning/units.ts: a conv's kernel or channel,
 * a dense or recurrent neuron, a recurrent gate, a whole layer) whole units go, ranked by their live entries'
 * summed saliency, and amounts count units. Under DDP every process computes the choice and then takes the
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
        self.size, self.shape = rows * layout.cols, (rows, layout.cols)
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

    def allowed(self):
        """The candidates growth may switch on: every connection of the block (its structure)."""
        return list(range(self.count))

    def columns(self):
        """Each connection's target neuron."""
        return self.layout.cols_of[self.first : self.first + self.count]

    def units(self, unit):
        """units.ts unitIndexer over the block's connections: how many units its layer has, each connection's unit (a
        neuron is its target), and the order of its entries (row-major, as the runtime sums a unit's saliencies)."""
        order = np.argsort(np.array(self.entries(), dtype=np.int64), kind="stable")
        if unit == "layer":
            return 1, np.zeros(self.count, dtype=np.int64), order
        return self.cols, np.array(self.columns(), dtype=np.int64), order

    def set_live(self, live, grown=None):
        """The block's mask becomes live; grown = (connections, values) sets those weights; masked weights become 0."""
        with torch.no_grad():
            # live and grown are host tensors (choosing is host work); the model may be on a GPU.
            device = self.module.mask.device
            self.module.mask.view(-1)[self.first : self.first + self.count] = live.to(device)
            if grown is not None:
                self.module.weight.view(-1)[(grown[0] + self.first).to(device)] = grown[1].to(self.module.weight)
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
    PyTorch weight is OIHW (runtime_view gives the HWIO view), [rows, gates * hidden] for a recurrent weight. structure
    is the spec's mask of it (masks/structure.ts, encoded; None: full), owner and probe where RigL's zero tensor goes."""

    def __init__(self, name, kind, layer, parts, neurons, structure, probe):
        self.name, self.kind, self.layer = name, kind, layer
        self.weight, self.mask, self.runtime_view = parts
        self.size, self.neurons, self.structure, self.probe = self.mask.numel(), neurons, structure, probe
        self.count, self.shape = self.size, tuple(self.runtime_view(self.mask).shape)
        self.cols = self.shape[-1]
        # Where a LearnedMask of this weight sits (attach_learned_masks): the conv, or the recurrent layer's which_learned.
        self.learned_slot = (probe[0], "learned" if kind == "conv" else probe[1].replace("_probe", "_learned"))

    def learned(self):
        """The weight's LearnedMask, or None."""
        return getattr(*self.learned_slot, None)

    def from_entries(self, values):
        return values

    def allowed(self):
        """The entries growth may switch on: those of the spec's mask, in row-major order."""
        return list(_live_entries(self.structure or "full", self.size))

    def columns(self):
        """Each entry's target (the last axis: a conv's output channel, a recurrent gate unit)."""
        return np.arange(self.size, dtype=np.int64) % self.cols

    def units(self, unit):
        """units.ts unitIndexer: how many units the layer has and each entry's (kernel: input channel x output channel of
        the HWIO entry; channel, neuron: the last axis modulo the neurons, a recurrent weight's gates side by side; gate:
        the block of neurons columns the entry's column falls in; layer: one unit, the whole weight)."""
        entries, columns = np.arange(self.size, dtype=np.int64), self.neurons
        if unit == "layer":
            return 1, np.zeros(self.size, dtype=np.int64), entries
        if unit == "gate":
            return self.cols // columns, entries % self.cols // columns, entries
        if unit == "kernel":
            inputs = self.shape[2]
            return inputs * columns, (entries // columns % inputs) * columns + entries % columns, entries
        return columns, entries % columns, entries

    @torch.no_grad()
    def live(self):
        """The mask computed with (the runtime's getMask: static, and where it learns, keep probability above 0.5)."""
        live = self.runtime_view(self.mask)
        learned = self.learned()
        return (live if learned is None else live & (learned.keep_probability() > 0.5)).reshape(-1).cpu()

    def weights(self):
        return self.runtime_view(self.weight.detach()).reshape(-1).double().cpu()

    @torch.no_grad()
    def set_live(self, live, grown=None):
        """The mask becomes live (runtime order); grown = (entries, values) sets those weights; masked weights become 0."""
        view = self.runtime_view(self.mask)
        view.copy_(live.reshape(view.shape).to(self.mask.device))
        if grown is not None:
            values = self.runtime_view(self.weight.detach()).reshape(-1).clone()
            values[grown[0].to(values.device)] = grown[1].to(values)
            self.runtime_view(self.weight.data).copy_(values.reshape(view.shape))
        self.weight.mul_(self.mask)

    def switch_off(self, live, connections):
        """The mask without these entries; their weights become 0."""
        live = live.clone()
        live[connections] = False
        self.set_live(live)


def prunable_weights(model):
    """weights.ts prunableWeights: every conv (stem, cells in the spec's order, head), every recurrent layer's input and
    hidden weights, then the dense blocks in spec order; layer scope groups a recurrent layer's two weights together."""
    convs = [
        _Tensor(
            layer["name"], "conv", layer["name"], (module.weight, module.mask, MaskedConv.hwio_view), module.weight.shape[0],
            layer.get("mask"), (module, "probe"),
        )
        for stack in model.feature_stacks()
        for layer, module in zip(stack.specs, stack.layers)
        if isinstance(module, MaskedConv)
    ]
    recurrent = []
    layers = model.recurrent.layers if model.recurrent is not None else []
    masks = (model.recurrent.spec.get("masks") or []) if model.recurrent is not None else []
    for index, layer in enumerate(layers):
        structures = (masks[index] if index < len(masks) else None) or {}
        for which in ("input", "hidden"):
            parts = (getattr(layer, f"{which}_weight"), getattr(layer, f"{which}_mask"), lambda t: t)
            name, probe = f"{layer.name}.{which}", (layer, f"{which}_probe")
            recurrent.append(_Tensor(name, "recurrent", layer.name, parts, layer.hidden_size, structures.get(which), probe))
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


def _recurrent_flow(model):
    """synflow.ts recurrentFront: the recurrent stack linearised over one all-ones sequence, h_t = sum over the gates of
    (x_t |W_in| + h_(t-1) |W_h|) under the masks; returns the layer-0 values and the |W| tensors by weight name."""
    absolute, steps = {}, model.spec["inputShape"][0]
    layers = model.recurrent.layers
    sequence = [torch.ones(1, layers[0].inputs) for _ in range(steps)]
    for layer in layers:
        w, u = (
            (getattr(layer, f"{which}_weight").detach().abs() * getattr(layer, f"{which}_mask")).requires_grad_(True)
            for which in ("input", "hidden")
        )
        absolute[f"{layer.name}.input"], absolute[f"{layer.name}.hidden"] = w, u
        h, gates = torch.zeros(1, layer.hidden_size), w.shape[1] // layer.hidden_size
        states = []
        for xt in sequence:
            h = ((xt @ w) + (h @ u)).reshape(1, gates, layer.hidden_size).sum(1)
            states.append(h)
        sequence = states
    front = torch.stack(sequence, 1).reshape(1, -1) if model.recurrent.spec["output"] == "all" else sequence[-1]
    return front, absolute


def _max_pool_flow(x, layer, pad):
    """max pooling as TensorFlow.js's maxPool gradient routes it (an all-ones input ties every window): to each window's
    first entry, row-major, that holds its maximum, never a padded one; the pooled value is that entry, and the gradient
    goes to it alone. Chosen here rather than left to max_pool2d's backward, whose choice among ties is its own."""
    (kh, kw), stride = layer["size"], tuple(layer["stride"])
    padded = nn.functional.pad(x, pad, value=-math.inf)
    channels, rows, cols = padded.shape[1], (padded.shape[2] - kh) // stride[0] + 1, (padded.shape[3] - kw) // stride[1] + 1
    windows = nn.functional.unfold(padded, (kh, kw), stride=stride).reshape(channels, kh * kw, rows * cols)
    with torch.no_grad():
        top = windows.max(1, keepdim=True).values
        first = (windows == top).to(torch.int64).argmax(1, keepdim=True)
    return windows.gather(1, first).reshape(1, channels, rows, cols)


def _stack_flow(stack, x, absolute):
    """synflow.ts convFront over one Features stack: each conv's |W| under its mask without bias (its |W| kept in
    absolute by name for the gradient), batch norm as |gain| over identity statistics (variance 1 - eps, as float32),
    pooling as the network has it, no activation."""
    for layer, module in zip(stack.specs, stack.layers):
        if isinstance(module, MaskedConv):
            weight = (module.weight.detach().abs() * module.current_mask()).requires_grad_(True)
            absolute[layer["name"]] = weight
            x = nn.functional.conv2d(nn.functional.pad(x, module.pad), weight, None, tuple(layer["stride"]), 0, tuple(layer["dilation"]))
        elif isinstance(module, BatchNorm):
            variance = torch.full_like(module.gain, 1 - module.epsilon) + module.epsilon
            x = x * (module.gain.detach().abs() * torch.rsqrt(variance))[:, None, None]
        elif layer["kind"] == "maxPool":
            x = _max_pool_flow(x, layer, module.pad)
        else:
            x = module(x)
    return x


def _conv_flow(model):
    """synflow.ts convFront: one all-ones input through the stem and the cells (inputs concatenated along channels,
    zero-padded bottom and right, the head over the sinks) linearised by _stack_flow; returns the layer-0 values
    (flattened as the network flattens its maps) and the |W| tensors by conv name."""
    absolute = {}
    x = torch.ones(1, *model.spec["inputShape"])
    if model.features is not None:
        x = _stack_flow(model.features, x, absolute)
    if model.cells is not None:
        vertices, made = model.spec["cells"]["vertices"], {}
        for cell in vertices:
            reads = concat_padded([made[u] for u in cell["inputs"]]) if cell["inputs"] else x
            made[cell["vertex"]] = _stack_flow(model.cells[f"cell{cell['vertex']}"], reads, absolute)
        read = {u for cell in vertices for u in cell["inputs"]}
        x = _stack_flow(model.cells["head"], concat_padded([made[c["vertex"]] for c in vertices if c["vertex"] not in read]), absolute)
    return x.flatten(1), absolute


def _front_flow(model):
    """The |θ| network's layer-0 values and the |W| tensors in front of the dense blocks (recurrent stack, or feature
    layers and cells), by weight name."""
    if model.recurrent is not None:
        return _recurrent_flow(model)
    if model.features is not None or model.cells is not None:
        return _conv_flow(model)
    return torch.ones(1, model.spec["layers"][0]["size"]), {}


def _synflow_saliencies(model):
    """saliency.ts synflow: |w dR/dw| with R the output sum of the all-ones input through every block's masked |W| (no
    biases, no nonlinearity), layer by layer as the runtime computes it: float32 products, float64 |w g|; a recurrent
    stack in front flows linearised (_recurrent_flow).

    On a GPU the flow runs on a CPU copy of the network (its all-ones inputs are made on the CPU, and choosing
    connections is host work anyway); the saliencies are by weight name, so they apply to the network itself."""
    if next(model.parameters()).device.type != "cpu":
        model = copy.deepcopy(model).cpu()
    layers, blocks = model.spec["layers"], network_blocks(model)
    absolute = []
    for block in blocks:
        values = torch.zeros(block.size, dtype=torch.float32)
        if block.count:
            values[torch.tensor(block.entries(), dtype=torch.int64)] = block.weights().float().abs() * block.live()
        absolute.append(values.reshape(block.rows, block.cols).requires_grad_(True))
    sources = [b["source"] for b in model.spec["blocks"]]
    front, recurrent = _front_flow(model)
    activations = [front]
    for target in range(1, len(layers)):
        total = torch.zeros(1, layers[target]["size"])
        parts = [activations[source] @ a for source, a, block in zip(sources, absolute, blocks) if block.target == target]
        for i, part in enumerate(parts):
            total = part if i == 0 else total + part
        activations.append(total)
    activations[-1].sum().backward()
    saliencies = {}
    for weight in prunable_weights(model):
        if weight.name in recurrent:
            gradient = weight.runtime_view(recurrent[weight.name].grad).reshape(-1).double()
            saliencies[weight.name] = (weight.weights() * gradient).abs()
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


UNIT_FITS = {
    "weight": ("dense", "conv", "recurrent"),
    "kernel": ("conv",),
    "channel": ("conv",),
    "neuron": ("dense", "recurrent"),
    "gate": ("recurrent",),
    "layer": ("dense", "conv", "recurrent"),
}


def unit_scope(model, names, unit):
    """prune.ts unitScope: the weights names chooses (None: every prunable weight the unit fits), in the model's order."""
    if unit not in UNIT_FITS:
        raise ValueError(f"network {model.NAME}: unknown unit {unit!r}; expected one of {list(UNIT_FITS)}")
    weights = prunable_weights(model)
    unknown = sorted(set(names or []) - {w.name for w in weights})
    if unknown:
        raise ValueError(f"network {model.NAME}: unknown block {unknown[0]!r}; prunable weights are {[w.name for w in weights]}")
    scope = weights if names is None else [w for w in weights if w.name in set(names)]
    kinds = UNIT_FITS[unit]
    misfit = None if names is None else next((w for w in scope if w.kind not in kinds), None)
    if misfit is not None:
        raise ValueError(f"network {model.NAME}: unit {unit!r} groups {' and '.join(kinds)} weights, and {misfit.name!r} is a {misfit.kind} weight")
    fitting = [w for w in scope if w.kind in kinds]
    if not fitting and scope:
        raise ValueError(f"network {model.NAME}: unit {unit!r} groups {' and '.join(kinds)} weights, and the model has none")
    return fitting


def prune(model, blocks, amount, saliency="magnitude", scope="global", seed=0, unit="weight"):
    """prune.ts: switches off the lowest-saliency live entries (or with unit kernel, channel, neuron, gate or layer, whole units, as
    units.ts) of the named weights (dense blocks, convs, recurrent weights, as getMask names them; None: every one the
    unit fits); returns how many entries.

    amount is ("percent", p) of each group's live entries or units, ("count", n),
    or ("sparsity", t, p): each group brought to sparsity t (never back), taking
    at most p percent of its live entries or units (p None: no cap);
    scope "global" ranks all the weights together, "layer" each layer's on its
    own (a dense layer's incoming blocks, a conv, a recurrent layer's two
    weights); seed is the random saliency's. Candidates go in the model's
    order of weights whatever the order of the names, so ties fall as the runtime's.
    """
    if saliency not in DATA_FREE_SALIENCIES:
        raise ValueError(f"network {model.NAME}: saliency {saliency!r} is not carried out here; use one of {DATA_FREE_SALIENCIES}")
    in_scope = unit_scope(model, blocks, unit)
    draws = _random_saliencies(model, seed) if saliency == "random" else _synflow_saliencies(model) if saliency == "synflow" else None
    pruned = 0
    for members in _ranking_groups(in_scope, scope):
        lives = [weight.live() for weight in members]
        values = [_saliency(w, live, saliency, draws) for w, live in zip(members, lives)]
        if unit == "weight":
            pruned += _prune_entries(members, lives, values, amount)
        else:
            pruned += _prune_units(_units_by_layer(members, lives, unit, values), amount)
    return pruned


def _wanted(amount, live, total):
    """How many of a group's live candidates (entries or units) the amount takes."""
    if amount[0] == "sparsity":
        return _to_sparsity(live, total, amount[1], amount[2])
    return min(amount[1], live) if amount[0] == "count" else math.floor(amount[1] / 100 * live)


def _prune_entries(members, lives, saliencies, amount):
    """prune.ts pruneEntries: the group's lowest-saliency live entries, ranked together."""
    indices = [torch.nonzero(live).reshape(-1) for live in lives]
    values = torch.cat([s[i] for s, i in zip(saliencies, indices)])
    wanted = _wanted(amount, len(values), sum(w.size for w in members))
    if wanted <= 0:
        return 0
    # A stable sort: among equal saliencies the earlier candidate goes first, as select.ts lowest breaks ties.
    chosen = torch.from_numpy(np.argsort(values.numpy(), kind="stable")[:wanted].copy())
    offset = 0
    for weight, live, connections in zip(members, lives, indices):
        mine = chosen[(chosen >= offset) & (chosen < offset + len(connections))] - offset
        weight.switch_off(live, connections[mine])
        offset += len(connections)
    return wanted


def _units_by_layer(members, lives, unit, saliencies=None):
    """units.ts unitsByLayer: per layer (in the order of its first weight) its weights (with their lives and each entry's
    unit), each unit's saliency summed over its live entries (float64, entry after entry in row-major order, as the
    runtime adds them), and whether a unit is live (one of its entries is)."""
    layers = {}
    for k, (weight, live) in enumerate(zip(members, lives)):
        count, of, order = weight.units(unit)
        layer = layers.setdefault(weight.layer, {"weights": [], "sums": np.zeros(count), "live": np.zeros(count, dtype=bool)})
        layer["weights"].append((weight, live, of))
        alive = order[live.numpy()[order]]
        layer["live"][of[alive]] = True
        if saliencies is not None:
            np.add.at(layer["sums"], of[alive], saliencies[k].numpy()[alive])
    return list(layers.values())


def _unit_counts(layers):
    """units.ts unitCounts: live and total units."""
    return sum(int(layer["live"].sum()) for layer in layers), sum(len(layer["live"]) for layer in layers)


def _prune_units(layers, amount):
    """units.ts pruneUnits: the lowest summed saliencies among live units, ties to the earlier layer then the lower
    unit; every entry of a chosen unit is switched off. Returns how many live entries that was."""
    owners = [(k, u) for k, layer in enumerate(layers) for u in np.nonzero(layer["live"])[0].tolist()]
    candidates = np.array([layers[k]["sums"][u] for k, u in owners], dtype=np.float64)
    wanted = _wanted(amount, *_unit_counts(layers))
    chosen = np.argsort(candidates, kind="stable")[: max(0, wanted)]
    dropped = [set() for _ in layers]
    for c in chosen.tolist():
        dropped[owners[c][0]].add(owners[c][1])
    pruned = 0
    for layer, units in zip(layers, dropped):
        for weight, live, of in layer["weights"] if units else []:
            off = torch.from_numpy(np.isin(of, np.array(sorted(units), dtype=np.int64))) & live
            connections = torch.nonzero(off).reshape(-1)
            weight.switch_off(live, connections)
            pruned += len(connections)
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

    def _below_target(self, s, target):
        """schedule.ts belowTarget: whether an entry (or unit) must go for the scope (under layer scope, some layer) to
        reach target; a schedule's scope left out is every prunable weight its unit fits."""
        unit = s.get("unit", "weight")
        for group in _ranking_groups(unit_scope(self.model, s.get("blocks"), unit), s.get("scope", "global")):
            lives = [w.live() for w in group]
            if unit == "weight":
                live, total = sum(int(live.sum()) for live in lives), sum(w.size for w in group)
            else:
                live, total = _unit_counts(_units_by_layer(group, lives, unit))
            if _to_sparsity(live, total, target, None) > 0:
                return True
        return False

    def _run(self, s, amount):
        saliency, scope, seed = s.get("saliency", "magnitude"), s.get("scope", "global"), s.get("seed", 0)
        return prune(self.model, s.get("blocks"), amount, saliency, scope, seed, s.get("unit", "weight"))

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
