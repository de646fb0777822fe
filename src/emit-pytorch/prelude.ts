/**
 * The Python every generated PyTorch module starts with: the canonical
 * layout of runtime/storage/layout.ts, the masked kernel of
 * runtime/kernels/masked-dense.ts with the scatter of dense-view.ts, the
 * layer norm of runtime/layer-norm.ts, the seeded hash initialisation of
 * runtime/init.ts, and run folders in weight format 2 (runtime/weights.ts,
 * files.ts). It is written out in each module rather than imported so a
 * generated file needs nothing but torch (and numpy, which torch's
 * `.numpy()` uses) to run.
 */
export const PRELUDE = String.raw`import base64
import copy
import hashlib
import json
import math
import os
import re
import sys
import time

import numpy as np
import torch
from torch import nn

# runtime/layer-norm.ts: (x - mean) / sqrt(biased variance + epsilon) * gain + shift.
LAYER_NORM_EPSILON = 1e-5
WEIGHTS_FORMAT = "deepstruct-weights"
WEIGHTS_FORMAT_VERSION = 2
_BYTES_PER_ENTRY = {"float32": 4, "bool": 1}
_TORCH_DTYPE = {"float32": torch.float32, "bool": torch.uint8}
_ACTIVATIONS = {
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "elu": nn.functional.elu,
    "linear": lambda x: x,
}


def decode_integers(text):
    """An integer list of runtime/masks/codec.ts: zig-zag LEB128 deltas, in base64."""
    values, previous, rest, shift = [], 0, 0, 0
    for byte in base64.b64decode(text):
        rest |= (byte & 0x7F) << shift
        shift += 7
        if byte & 0x80:
            continue
        previous += rest // 2 if rest % 2 == 0 else -(rest + 1) // 2
        values.append(previous)
        rest, shift = 0, 0
    return values


def _live_entries(mask, size):
    if mask == "full":
        return range(size)
    if mask == "empty":
        return []
    return decode_integers(mask)


class KernelLayout:
    """A kernel's canonical layout, as runtime/storage/layout.ts computes it from the spec.

    Its structural connections are the live entries of its blocks' masks,
    blocks in order, each row-major over the concatenated sources (rows) and
    the target layer (columns). The weight holds one value per connection,
    shaped [rows, cols] when every entry is one, [used rows, cols] when the
    rows holding a connection are complete, else [connections].
    """

    def __init__(self, spec, kernel):
        layers, blocks = spec["layers"], spec["blocks"]
        entry = spec["kernels"][kernel]
        self.kernel = kernel
        self.target = entry["target"]
        self.name = layers[self.target]["name"]
        self.cols = cols = layers[self.target]["size"]
        self.sources = [blocks[b]["source"] for b in entry["blocks"]]
        rows_of, cols_of, offset = [], [], 0
        # Each block's connections are one slice: (block name, first, count).
        self.block_slices, self.row_offsets = [], {}
        for b in entry["blocks"]:
            size, first = layers[blocks[b]["source"]]["size"], len(rows_of)
            for live in _live_entries(blocks[b]["mask"], size * cols):
                rows_of.append(offset + live // cols)
                cols_of.append(live % cols)
            self.block_slices.append((blocks[b]["name"], first, len(rows_of) - first))
            self.row_offsets[blocks[b]["name"]] = offset
            offset += size
        # Each connection's fused row and target column, in the order the weight stores them.
        self.rows_of, self.cols_of = rows_of, cols_of
        self.rows, self.count = offset, len(rows_of)
        per_row = [0] * self.rows
        for row in rows_of:
            per_row[row] += 1
        self.used_rows = [r for r in range(self.rows) if per_row[r] > 0]
        complete = all(n in (0, cols) for n in per_row)
        if self.count == self.rows * cols:
            self.shape = [self.rows, cols]
        elif complete and self.used_rows:
            self.shape = [len(self.used_rows), cols]
        else:
            self.shape = [self.count]
        packed = {row: p for p, row in enumerate(self.used_rows)}
        # Each connection's place in the [used rows, cols] matrix the product multiplies.
        self.positions = [packed[r] * cols + c for r, c in zip(rows_of, cols_of)]


def _mix(h):
    """murmur3's 32-bit finaliser on a uint32 array (numpy's uint32 products wrap as Math.imul's do)."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _imul(values, factor):
    """Math.imul(values, factor) as uint32, for int64 values below 2**31 (the product fits in int64)."""
    return ((np.asarray(values, dtype=np.int64) * factor) & 0xFFFFFFFF).astype(np.uint32)


def entry_draws(seed, kernel, rows, cols):
    """runtime/init.ts entryDraw: the uniform draw in [0, 1) of each (row, col) of a kernel, as float64."""
    h = _mix(np.array([int(seed) & 0xFFFFFFFF], dtype=np.uint32) ^ np.uint32(0x9E3779B9))
    h = _mix(h ^ _imul([kernel + 1], 0x27D4EB2F))
    h = _mix(h ^ _imul(np.asarray(rows, dtype=np.int64) + 1, 0x165667B1))
    h = _mix(h ^ _imul(np.asarray(cols, dtype=np.int64) + 1, 0x85EBCA77))
    return h.astype(np.float64) / 4294967296.0


def initial_weights(seed, layout, activation):
    """runtime/init.ts: per connection limit * (2 draw - 1), limit = sqrt(6 / fan-in) (relu, elu) or sqrt(3 / fan-in).

    The fan-in is a target neuron's structural connections over all blocks of
    the kernel. Computed in float64 and rounded once to float32, as the
    runtime's Float64Array limits times a double draw stored in a
    Float32Array, so the weights are bit-identical to the runtime's.
    """
    values = connection_weights(seed, layout.kernel, layout.rows_of, layout.cols_of, layout.cols, activation)
    return torch.from_numpy(values).reshape(layout.shape)


def connection_weights(seed, kernel, rows_of, cols_of, cols, activation):
    """initial_weights' values, float32, of the connections (rows_of[i], cols_of[i]) of a kernel with cols columns."""
    cols_of = np.asarray(cols_of, dtype=np.int64)
    fan = np.bincount(cols_of, minlength=cols).astype(np.float64)
    scale = 6.0 if activation in ("relu", "elu") else 3.0
    limits = np.zeros(cols)
    np.sqrt(scale / fan, out=limits, where=fan > 0)
    draws = entry_draws(seed, kernel, rows_of, cols_of)
    return (limits[cols_of] * (2.0 * draws - 1.0)).astype(np.float32)


class _Harden(torch.autograd.Function):
    """[p > 0.5] forward, the gradient passed straight through to p (runtime/kernels/learnable-mask.ts)."""

    @staticmethod
    def forward(context, p):
        return (p > 0.5).to(p.dtype)

    @staticmethod
    def backward(context, gradient):
        return gradient


def initial_logits(count, keep, temperature):
    """runtime/kernels/learnable-mask.ts initialLogits: per connection (keep, drop) = (T ln(k / (1 - k)), 0)."""
    k = min(max(keep, 1e-4), 1 - 1e-4)
    logits = torch.zeros(count, 2)
    logits[:, 0] = temperature * math.log(k / (1 - k))
    return logits


class LearnedMask(nn.Module):
    """runtime/masks/learned.ts: the learnable mask of a conv or recurrent weight, two logits (keep, drop) per entry in
    the runtime's shape ([...HWIO, 2] for a conv, [rows, gates * hidden, 2] for a recurrent weight), as files save them;
    to_torch turns the runtime's layout into the weight's (a conv's HWIO into OIHW)."""

    def __init__(self, shape, learnable, to_torch):
        super().__init__()
        self.temperature, self.to_torch = float(learnable["temperature"]), to_torch
        size = math.prod(shape)
        self.logits = nn.Parameter(initial_logits(size, learnable["keep"], self.temperature).reshape(*shape, 2))

    def keep_probability(self):
        """softmax((keep, drop) / temperature)[keep] per entry, in the runtime's shape."""
        return torch.softmax(self.logits / self.temperature, -1)[..., 0]

    def hard(self):
        """The hardened keep probability in the weight's layout (straight-through gradient to the logits)."""
        return self.to_torch(_Harden.apply(self.keep_probability()))


def attach_learned_masks(model):
    """The spec's learnable masks over conv and recurrent weights (dense blocks learn in their kernels): a LearnedMask on
    the layer of each weight learnable.blocks names (MaskedConv.learned, MaskedRecurrentLayer.input_learned and
    hidden_learned), which its forward multiplies into the static mask."""
    learnable = model.spec.get("learnable")
    names = set((learnable or {}).get("blocks") or [])
    for weight in prunable_weights(model):
        if weight.kind != "dense" and weight.name in names:
            owner, attribute = weight.learned_slot
            to_torch = (lambda t: t.permute(3, 2, 0, 1)) if weight.kind == "conv" else (lambda t: t)
            setattr(owner, attribute, LearnedMask(weight.shape, learnable, to_torch))


class MaskedKernel(nn.Module):
    """x . (W * M) + b over the source neurons with a connection (runtime/kernels/masked-dense.ts).

    weight is in the canonical layout and mask (a boolean buffer) has its
    shape; a [connections] weight is scattered into the dense matrix, whose
    gradient autograd gathers back, as runtime/kernels/dense-view.ts does.
    A masked connection gets exactly zero gradient.
    """

    def __init__(self, layout, normalised, learnable=None):
        super().__init__()
        self.cols = layout.cols
        self.view_shape = (len(layout.used_rows), layout.cols)
        if layout.count > 0:
            self.weight = nn.Parameter(torch.zeros(layout.shape))
        else:
            self.register_parameter("weight", None)
        self.register_buffer("mask", torch.ones(layout.shape, dtype=torch.bool))
        self.bias = nn.Parameter(torch.zeros(layout.cols))
        self.gain = nn.Parameter(torch.ones(layout.cols)) if normalised else None
        self.shift = nn.Parameter(torch.zeros(layout.cols)) if normalised else None
        # Index buffers follow from the spec, so they are not state to save.
        rows = None if len(layout.used_rows) == layout.rows else torch.tensor(layout.used_rows, dtype=torch.int64)
        self.register_buffer("used_rows", rows, persistent=False)
        positions = torch.tensor(layout.positions, dtype=torch.int64) if len(layout.shape) == 1 else None
        self.register_buffer("positions", positions, persistent=False)
        self._learn(layout, learnable)
        self.probe = None

    def _learn(self, layout, learnable):
        """Learnable masks (spec.learnable): two logits per connection, flags for the connections whose block learns."""
        names = set(learnable["blocks"]) if learnable is not None else set()
        flags = torch.zeros(layout.count)
        for name, first, count in layout.block_slices:
            if name in names:
                flags[first : first + count] = 1
        if layout.count == 0 or not bool(flags.any()):
            self.mask_logits, self.temperature = None, None
            self.register_buffer("learn_flags", None, persistent=False)
            return
        self.temperature = float(learnable["temperature"])
        logits = initial_logits(layout.count, learnable["keep"], self.temperature)
        self.mask_logits = nn.Parameter(logits.reshape(*layout.shape, 2))
        self.register_buffer("learn_flags", flags.reshape(layout.shape), persistent=False)

    def keep_probability(self):
        """softmax((keep, drop) / temperature)[keep] per connection, in the weight's shape."""
        return torch.softmax(self.mask_logits / self.temperature, -1)[..., 0]

    def effective_mask(self):
        """The mask the kernel computes with: static, times the hardened keep probability where a block learns."""
        if self.mask_logits is None:
            return self.mask
        hard = _Harden.apply(self.keep_probability())
        return self.mask * (1 - self.learn_flags + self.learn_flags * hard)

    @torch.no_grad()
    def live_mask(self):
        """The effective mask as booleans: what a run folder stores, as the runtime's getMask gives it."""
        return self.effective_mask() > 0

    def dense_weight(self):
        """W * M as the [used rows, cols] matrix."""
        effective = self.weight * self.effective_mask()
        if self.probe is not None:
            # dense_weight_gradients' zero tensor: its gradient is the product weight's, masked entries included.
            effective = effective + self.probe
        if self.positions is None:
            return effective.reshape(self.view_shape)
        size = self.view_shape[0] * self.view_shape[1]
        return effective.new_zeros(size).scatter(0, self.positions, effective).reshape(self.view_shape)

    def forward(self, x):
        if self.weight is None:
            return self.bias.expand(x.shape[0], self.cols)
        if self.used_rows is not None:
            x = x.index_select(1, self.used_rows)
        return torch.addmm(self.bias, x, self.dense_weight())


def layer_norm(x, gain, shift, epsilon=LAYER_NORM_EPSILON):
    """runtime/layer-norm.ts, over the neurons of [batch, size], with the biased variance."""
    mean = x.mean(1, keepdim=True)
    variance = (x - mean).square().mean(1, keepdim=True)
    return (x - mean) * torch.rsqrt(variance + epsilon) * gain + shift


def read_run(folder):
    """model.json and its weight entries from a run folder, the weight file's SHA-256 checked."""
    with open(os.path.join(folder, "model.json"), encoding="utf-8") as file:
        meta = json.load(file)
    if meta.get("format") != WEIGHTS_FORMAT or meta.get("formatVersion") != WEIGHTS_FORMAT_VERSION:
        raise ValueError(f"{folder}: not a deepstruct weights file of format version {WEIGHTS_FORMAT_VERSION}")
    groups = meta["weightsManifest"]
    if len(groups) != 1 or len(groups[0]["paths"]) != 1:
        raise ValueError(f"{folder}: the manifest must name one weight file")
    name = groups[0]["paths"][0]
    if not re.fullmatch(r"[\w-][\w.-]*", name):
        raise ValueError(f"{folder}: the manifest names {name!r}, which is not a file in the same folder")
    with open(os.path.join(folder, name), "rb") as file:
        data = file.read()
    if "weightsSha256" in meta and hashlib.sha256(data).hexdigest() != meta["weightsSha256"]:
        raise ValueError(f"{folder}: the weight data does not match the SHA-256 that model.json records")
    return meta, _decode_entries(groups[0]["weights"], data, folder)


def _decode_entries(manifest, data, folder):
    entries, offset = {}, 0
    for entry in manifest:
        if entry.get("dtype") not in _BYTES_PER_ENTRY or "quantization" in entry:
            raise ValueError(f"{folder}: entry {entry.get('name')!r} is not float32 or bool")
        count = 1
        for d in entry["shape"]:
            count *= d
        size = count * _BYTES_PER_ENTRY[entry["dtype"]]
        chunk = bytearray(data[offset : offset + size])
        offset += size
        values = torch.frombuffer(chunk, dtype=_TORCH_DTYPE[entry["dtype"]]) if size else torch.zeros(0)
        values = values.reshape(entry["shape"])
        entries[entry["name"]] = values.bool() if entry["dtype"] == "bool" else values.float()
    if offset != len(data):
        raise ValueError(f"{folder}: the weight data has {len(data)} bytes but the manifest describes {offset}")
    return entries


def _write_atomically(path, data):
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def _entry_bytes(tensor):
    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.bool:
        return tensor.to(torch.uint8).numpy().tobytes()
    return tensor.to(torch.float32).numpy().astype("<f4").tobytes()


def write_run(folder, meta, entries):
    """Writes model.json and weights-<sha16>.bin as runtime/files.ts saveWeights does."""
    data = b"".join(_entry_bytes(tensor) for _, tensor in entries)
    digest = hashlib.sha256(data).hexdigest()
    name = f"weights-{digest[:16]}.bin"
    manifest = [
        {"name": key, "shape": list(tensor.shape), "dtype": "bool" if tensor.dtype == torch.bool else "float32"}
        for key, tensor in entries
    ]
    meta = dict(meta, weightsManifest=[{"paths": [name], "weights": manifest}], weightsSha256=digest)
    order = ["format", "formatVersion", "network", "inputShape", "outputShape", "layers", "blocks"]
    meta = {key: meta[key] for key in order + ["weightsManifest", "weightsSha256", "spec"]}
    os.makedirs(folder, exist_ok=True)
    _write_atomically(os.path.join(folder, name), data)
    text = json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
    _write_atomically(os.path.join(folder, "model.json"), text.encode("utf-8"))
    for stale in os.listdir(folder):
        if stale != name and re.fullmatch(r"weights(-[0-9a-f]{16})?\.bin(\.tmp-.*)?", stale):
            os.remove(os.path.join(folder, stale))


def _structure(spec):
    """What the generated forward depends on: layers, blocks with their structural masks, kernels."""
    layers = [(layer["name"], layer["size"]) for layer in spec["layers"]]
    blocks = [(b["name"], b["source"], b["target"], b["mask"]) for b in spec["blocks"]]
    kernels = [(k["target"], tuple(k["blocks"])) for k in spec["kernels"]]
    features = json.dumps(spec.get("features"), sort_keys=True)
    recurrent = json.dumps(spec.get("recurrent"), sort_keys=True)
    cells = json.dumps(spec.get("cells"), sort_keys=True)
    return layers, blocks, kernels, spec["activation"], spec["layerNorm"], features, recurrent, cells


class Network(nn.Module):
    """A deepstruct network: one MaskedKernel per layer after the input, in execution order.

    Hidden layers are layer-normalised (when the network asks for it) and
    activated; the output layer is returned as logits.
    """

    NAME = None

    def __init__(self, spec=None, seed=0):
        """The network of spec (default: the one compiled in), weights drawn as createNetwork(spec, {seed}) draws them."""
        super().__init__()
        self.spec = spec if spec is not None else json.loads(_SPECS[self.NAME])
        self.activation = _ACTIVATIONS[self.spec["activation"]]
        self.layouts = [KernelLayout(self.spec, k) for k in range(len(self.spec["kernels"]))]
        learnable = self.spec.get("learnable")
        self.kernels = nn.ModuleList(MaskedKernel(layout, self._normalised(layout), learnable) for layout in self.layouts)
        activation, stem = self.spec["activation"], self.spec.get("features") or []
        self.features = Features(stem, self.spec["inputShape"], activation) if stem else None
        # A cell network's cells and head, over the stem's maps (or the input): feature layers numbered after the stem's.
        cells_input = self.features.shapes[-1] if stem else self.spec["inputShape"]
        self.cells = Cells(self.spec["cells"], cells_input, activation, len(stem)) if self.spec.get("cells") else None
        self.recurrent = Recurrent(self.spec) if self.spec.get("recurrent") else None
        attach_learned_masks(self)
        self.initialise(seed)

    @torch.no_grad()
    def initialise(self, seed):
        """Weights from the runtime's seeded hash (initial_weights); biases and shifts 0, gains 1; every mask entry live.

        Feature layers: conv weights as initialConvWeights draws them (0 where the spec masks them), the spec's masks,
        running statistics mean 0, variance 1. Recurrent layers: as createRecurrentStore draws them, with the spec's masks.
        """
        for stack in self.feature_stacks():
            stack.initialise(seed)
        if self.recurrent is not None:
            self.recurrent.initialise(seed)
        for layout, module in zip(self.layouts, self.kernels):
            if module.weight is not None:
                module.weight.copy_(initial_weights(seed, layout, self.spec["activation"]))
                module.mask.fill_(True)
            module.bias.zero_()
            if module.gain is not None:
                module.gain.fill_(1.0)
                module.shift.zero_()
            if module.mask_logits is not None:
                learnable = self.spec["learnable"]
                module.mask_logits.copy_(initial_logits(layout.count, learnable["keep"], module.temperature).reshape(module.mask_logits.shape))

    def penalty(self):
        """The loss term fit adds for learnable masks: penalty x mean keep probability over the learning connections the static masks allow; None without one."""
        strength = (self.spec.get("learnable") or {}).get("penalty") or 0
        learning = [module for module in self.kernels if module.mask_logits is not None]
        learned = [w for w in prunable_weights(self) if w.kind != "dense" and w.learned() is not None]
        if strength == 0 or not learning + learned:
            return None
        parts = [(module.keep_probability() * module.mask * module.learn_flags, module.mask * module.learn_flags) for module in learning]
        parts += [(w.learned().keep_probability() * w.runtime_view(w.mask), w.runtime_view(w.mask).float()) for w in learned]
        kept, count = sum(p.sum() for p, _ in parts), sum(a.sum() for _, a in parts)
        return strength * (kept / count.clamp(min=1))

    def _normalised(self, layout):
        kind = self.spec["layers"][layout.target]["origin"]["kind"]
        return bool(self.spec["layerNorm"]) and kind not in ("input", "output") and layout.cols > 1

    def hidden(self, kernel, x):
        """A hidden layer: its kernel, layer norm if any, then the activation."""
        module = self.kernels[kernel]
        pre = module(x)
        if module.gain is not None:
            pre = layer_norm(pre, module.gain, module.shift)
        return self.activation(pre)

    @torch.no_grad()
    def apply_masks(self):
        """Sets every masked weight to exactly 0 (call after each optimizer step)."""
        # A conv or recurrent weight whose mask learns keeps the weights it masks, as the runtime's stores do (their
        # gradient is 0 there): loading takes the saved, combined mask as the static one.
        for module in [conv for stack in self.feature_stacks() for conv in stack.convs()]:
            if module.learned is None:
                module.weight.mul_(module.mask)
        if self.recurrent is not None:
            self.recurrent.apply_masks()
        for module in self.kernels:
            if module.weight is not None:
                module.weight.mul_(module.mask)

    def run_entries(self, stored=False):
        """(name, tensor) in the order of the run folder (runtime/weights.ts): feature or recurrent layers' parameters, then
        parameters kernel by kernel, then masks, then the batch norms' running statistics and the conv or recurrent masks.

        A mask is the one the kernel computes with (static and learned
        combined, as the runtime saves it); stored=True gives the static mask
        buffers instead, which loading fills.
        """
        parameters, masks = [], []
        for layout, module in zip(self.layouts, self.kernels):
            if module.weight is not None:
                parameters.append((f"{layout.name}.weight", module.weight))
                masks.append((f"{layout.name}.mask", module.mask if stored else module.live_mask()))
            parameters.append((f"{layout.name}.bias", module.bias))
            if module.gain is not None:
                parameters += [(f"{layout.name}.gain", module.gain), (f"{layout.name}.shift", module.shift)]
            if module.mask_logits is not None:
                parameters.append((f"{layout.name}.maskLogits", module.mask_logits))
        # learnedParameters: the conv and recurrent weights' mask logits, between their layers' parameters and the kernels'.
        learned = [(f"{w.name}.maskLogits", w.learned().logits) for w in prunable_weights(self) if w.kind != "dense" and w.learned() is not None]
        if self.recurrent is not None:
            recurrent, recurrent_masks = self.recurrent.run_entries(stored)
            return recurrent + learned + parameters + masks + recurrent_masks
        features, state, conv_masks = [], [], []
        for stack in self.feature_stacks():
            stack_parameters, stack_state, stack_masks = stack.run_entries(stored)
            features, state, conv_masks = features + stack_parameters, state + stack_state, conv_masks + stack_masks
        return features + learned + parameters + masks + state + conv_masks

    def feature_stacks(self):
        """The Features stacks in the runtime's order of feature layers: the stem's, each cell's in the spec's order, the head's."""
        stem = [self.features] if self.features is not None else []
        if self.cells is None:
            return stem
        return stem + [self.cells[f"cell{cell['vertex']}"] for cell in self.spec["cells"]["vertices"]] + [self.cells["head"]]

    @classmethod
    def from_run(cls, folder):
        """The network with the weights and masks of a dsc train run folder (model.json, weights-*.bin)."""
        meta, entries = read_run(folder)
        spec = meta.get("spec")
        if spec is not None and _structure(spec) != _structure(json.loads(_SPECS[cls.NAME])):
            raise ValueError(f"{folder}: its network {meta.get('network')!r} has another structure than {cls.NAME}")
        model = cls(spec)
        model.load_entries(entries, folder)
        return model

    @torch.no_grad()
    def load_entries(self, entries, where="the entries"):
        """Copies weights and masks in, after checking names, shapes and dtypes all match."""
        expected = self.run_entries(stored=True)
        names = [name for name, _ in expected]
        if sorted(names) != sorted(entries):
            missing = sorted(set(names) - set(entries)) or sorted(set(entries) - set(names))
            raise ValueError(f"{where}: entries differ from network {self.NAME}'s, first {missing[0]!r}")
        for name, target in expected:
            value = entries[name]
            if list(value.shape) != list(target.shape) or (value.dtype == torch.bool) != (target.dtype == torch.bool):
                raise ValueError(f"{where}: {name!r} is {list(value.shape)} {value.dtype}, expected {list(target.shape)}")
        for name, target in expected:
            target.copy_(entries[name])

    def to_run(self, folder):
        """Writes a run folder (model.json in format 2 with the spec, weights-<sha16>.bin) that loadModel loads."""
        layers, blocks = self.spec["layers"], self.spec["blocks"]
        meta = {
            "format": WEIGHTS_FORMAT,
            "formatVersion": WEIGHTS_FORMAT_VERSION,
            "network": self.spec["name"],
            "inputShape": list(self.spec["inputShape"]),
            "outputShape": [layers[-1]["size"]],
            "layers": [{"name": layer["name"], "size": layer["size"]} for layer in layers],
            "blocks": [
                {"name": b["name"], "sourceSize": layers[b["source"]]["size"], "targetSize": layers[b["target"]]["size"]}
                for b in blocks
            ],
            "spec": self.spec,
        }
        write_run(folder, meta, self.run_entries())
`;
