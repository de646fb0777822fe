/**
 * The Python of recurrent stacks (runtime/recurrent/): each layer a masked
 * cell written out with the runtime's gate order and formulas (forward.ts),
 * its weights in the runtime's layout (store.ts: input weight [inputs,
 * gates · hidden], hidden weight [hidden, gates · hidden], bias [gates ·
 * hidden], gates side by side), masks as bool buffers in the weights'
 * shapes. Not nn.LSTM / nn.GRU: their gate order (i, f, g, o; r, z, n)
 * and reset-after candidate are the runtime's, but they keep a second bias
 * per gate, store weights [gates · hidden, inputs] and take no masks, so a
 * masked run would need their weights rewritten before every call. The
 * initial weights follow store.ts's seeded stream draw for draw (the
 * growth prelude's SeededRandom). Written into each module, as the prelude is.
 */
export const RECURRENT = String.raw`# runtime/recurrent/store.ts: each recurrent layer's draws come from its own stream, offset past the dense and conv kernels'.
RECURRENT_SEED_BASE = 1 << 21
RECURRENT_GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def initial_recurrent_values(seed, stream, size, live, hidden):
    """store.ts initial: uniform in +-1/sqrt(hidden) from createRandom(seed * 7919 + RECURRENT_SEED_BASE + stream), 0 where masked.

    Each draw is a float64, rounded once to float32 as the runtime's Float32Array stores it.
    """
    random = SeededRandom(seed * 7919 + RECURRENT_SEED_BASE + stream)
    limit = 1 / math.sqrt(hidden)
    values = np.array([random.uniform(-limit, limit) for _ in range(size)], dtype=np.float64)
    if live is not None:
        values = values * live
    return torch.from_numpy(values.astype(np.float32))


class MaskedRecurrentLayer(nn.Module):
    """One recurrent layer over [batch, steps, inputs]: every step's hidden state [batch, steps, hidden].

    The weights enter masked (W * M, U * M'), so a masked weight's gradient is exactly 0; the input
    products of every step are one matrix product, and each step adds one product of the hidden state.
    """

    def __init__(self, name, kind, activation, inputs, hidden):
        super().__init__()
        self.name, self.kind, self.inputs, self.hidden_size = name, kind, inputs, hidden
        self.nonlinearity = torch.relu if activation == "relu" else torch.tanh
        width = RECURRENT_GATES[kind] * hidden
        self.input_weight = nn.Parameter(torch.zeros(inputs, width))
        self.hidden_weight = nn.Parameter(torch.zeros(hidden, width))
        self.bias = nn.Parameter(torch.zeros(width))
        self.register_buffer("input_mask", torch.ones(inputs, width, dtype=torch.bool))
        self.register_buffer("hidden_mask", torch.ones(hidden, width, dtype=torch.bool))
        # Zero tensors added to W * M while RigL asks for the gradient of every entry, masked ones too.
        self.input_probe = self.hidden_probe = None
        # LearnedMasks where the spec's learnable masks name the input or hidden weight (attach_learned_masks).
        self.input_learned = self.hidden_learned = None

    @torch.no_grad()
    def initialise(self, seed, index, masks):
        """store.ts createRecurrentStore: the spec's masks (absent: full), weights drawn from streams 3i, 3i + 1, the bias
        from 3i + 2; an lstm's forget-gate bias starts at 1."""
        width, hidden = self.bias.shape[0], self.hidden_size
        for weight, mask, encoded, stream in (
            (self.input_weight, self.input_mask, masks.get("input"), 3 * index),
            (self.hidden_weight, self.hidden_mask, masks.get("hidden"), 3 * index + 1),
        ):
            live = np.zeros(mask.numel(), dtype=np.float64)
            live[np.asarray(list(_live_entries(encoded or "full", mask.numel())), dtype=np.int64)] = 1
            mask.copy_(torch.from_numpy(live.reshape(mask.shape) > 0))
            weight.copy_(initial_recurrent_values(seed, stream, mask.numel(), live, hidden).reshape(weight.shape))
        bias = initial_recurrent_values(seed, 3 * index + 2, width, None, hidden)
        if self.kind == "lstm":
            bias[hidden : 2 * hidden] = 1
        self.bias.copy_(bias)

    def rnn_step(self, xt, h, c, u):
        """h' = nonlinearity(x W + b + h U)."""
        return self.nonlinearity(xt + h @ u), None

    def gru_step(self, xt, h, c, u):
        """Gates reset, update, candidate; the reset gate multiplies the hidden product (reset after, as cuDNN and Keras)."""
        xr, xz, xn = xt.chunk(3, 1)
        hr, hz, hn = (h @ u).chunk(3, 1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return n + z * (h - n), None

    def lstm_step(self, xt, h, c, u):
        """Gates input, forget, cell, output: c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(c')."""
        i, f, g, o = (xt + h @ u).chunk(4, 1)
        cell = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(cell), cell

    def forward(self, x, real=None):
        """Every step's hidden state and the state after the last step. With real ([batch, steps, 1], 1 for a real step,
        0 for padding) a padding step keeps the state and outputs zeros, as forward.ts holdOnPadding."""
        batch, steps, inputs = x.shape
        w, u = self.input_weight * self.effective_mask("input"), self.hidden_weight * self.effective_mask("hidden")
        if self.input_probe is not None:
            w, u = w + self.input_probe, u + self.hidden_probe
        products = (x.reshape(batch * steps, inputs) @ w + self.bias).reshape(batch, steps, -1)
        h = x.new_zeros(batch, self.hidden_size)
        c = h if self.kind == "lstm" else None
        step = {"rnn": self.rnn_step, "gru": self.gru_step, "lstm": self.lstm_step}[self.kind]
        outputs = []
        for t in range(steps):
            next_h, next_c = step(products[:, t], h, c, u)
            if real is None:
                h, c = next_h, next_c
                outputs.append(h)
                continue
            flag = real[:, t]
            h = h + flag * (next_h - h)
            c = None if next_c is None else c + flag * (next_c - c)
            outputs.append(h * flag)
        return torch.stack(outputs, 1), h

    def effective_mask(self, which):
        """The input or hidden weight's static mask, times the hardened keep probability where it learns."""
        mask, learned = getattr(self, f"{which}_mask"), getattr(self, f"{which}_learned")
        return mask if learned is None else mask * learned.hard()

    @torch.no_grad()
    def apply_masks(self):
        """Masked weights become 0, but where the mask learns (Network.apply_masks says why)."""
        for which in ("input", "hidden"):
            if getattr(self, f"{which}_learned") is None:
                getattr(self, f"{which}_weight").mul_(getattr(self, f"{which}_mask"))

    def run_entries(self, stored=False):
        """(parameters, masks) as the run folder names them (store.ts recurrentParameters, recurrentBlocks); the masks
        those computed with (learned included), or with stored=True the static buffers loading fills."""
        parameters = [(f"{self.name}.inputWeight", self.input_weight), (f"{self.name}.hiddenWeight", self.hidden_weight)]
        parameters.append((f"{self.name}.bias", self.bias))
        masks = [(f"{self.name}.{which}.mask", getattr(self, f"{which}_mask")) for which in ("input", "hidden")]
        if not stored:
            with torch.no_grad():
                masks = [(name, self.effective_mask(which) > 0) for (name, _), which in zip(masks, ("input", "hidden"))]
        return parameters, masks


class Recurrent(nn.Module):
    """The stack of spec.recurrent over inputs [batch, steps, features], layers named kind1, kind2, ...; returns layer 0:
    the last layer's hidden state at the last step (output last) or at every step, flattened step-major (output all)."""

    def __init__(self, spec):
        super().__init__()
        self.spec = stack = spec["recurrent"]
        self.steps, features = spec["inputShape"]
        # shapes.ts recurrentFeatures: with padded, the last feature of each step is its real-or-padding flag.
        self.padded = stack.get("padded", False)
        sizes = [features - 1 if self.padded else features] + list(stack["hidden"])
        self.layers = nn.ModuleList(
            MaskedRecurrentLayer(f"{stack['kind']}{i + 1}", stack["kind"], stack["activation"], sizes[i], sizes[i + 1])
            for i in range(len(stack["hidden"]))
        )

    def initialise(self, seed):
        masks = self.spec.get("masks") or [{} for _ in self.layers]
        for index, layer in enumerate(self.layers):
            layer.initialise(seed, index, masks[index] or {})

    def apply_masks(self):
        for layer in self.layers:
            layer.apply_masks()

    def forward(self, x):
        real = None
        if self.padded:
            # forward.ts splitFlags: a step is real where its flag is above 0.5.
            real, x = (x[:, :, -1:] > 0.5).to(x.dtype), x[:, :, :-1]
        for layer in self.layers:
            x, final = layer(x, real)
        return x.flatten(1) if self.spec["output"] == "all" else final

    def run_entries(self, stored=False):
        parameters, masks = [], []
        for layer in self.layers:
            layer_parameters, layer_masks = layer.run_entries(stored)
            parameters, masks = parameters + layer_parameters, masks + layer_masks
        return parameters, masks
`;
