/**
 * The Python of convolutional feature layers (runtime/features/): masked
 * convolutions, batch norm, max, average and global average pooling, and the
 * flatten before the dense layers. The maps are NCHW, PyTorch's layout, so
 * flattening them gives channel, row, column order, the runtime's (it
 * transposes its NHWC maps back before flattening): the dense weights need
 * no permutation. Conv weights are OIHW parameters; run folders hold them
 * HWIO (runtime/features/store.ts), so `run_entries` gives permuted views,
 * which loading copies into. Written into each module, as the prelude is.
 */
export const FEATURES = String.raw`# runtime/features/store.ts: conv kernels' initial draws are offset past the dense kernels'.
FEATURE_KERNEL_BASE = 1 << 20


def axis_geometry(size, kernel, stride, dilation, padding):
    """runtime/kernels/conv/geometry.ts axisGeometry: (outputs, padding before, padding after), TensorFlow's rule."""
    extent = (kernel - 1) * dilation + 1
    if padding == "valid":
        return (0 if size < extent else (size - extent) // stride + 1), 0, 0
    outputs = -(-size // stride)
    total = max((outputs - 1) * stride + extent - size, 0)
    return outputs, total // 2, total - total // 2


def window_padding(shape, kernel, stride, dilation, padding):
    """F.pad's (left, right, top, bottom) for a window over a [channels, height, width] map."""
    _, top, bottom = axis_geometry(shape[1], kernel[0], stride[0], dilation[0], padding)
    _, left, right = axis_geometry(shape[2], kernel[1], stride[1], dilation[1], padding)
    return (left, right, top, bottom)


def feature_shapes(input_shape, layers):
    """runtime/features/shapes.ts featureShapes: the [channels, height, width] before each layer and after the last."""
    shapes = [list(input_shape)]
    for layer in layers:
        channels, height, width = shapes[-1]
        if layer["kind"] == "batchNorm":
            shapes.append([channels, height, width])
            continue
        if layer["kind"] == "globalAvgPool":
            shapes.append([channels, 1, 1])
            continue
        conv = layer["kind"] == "conv"
        kernel, dilation = (layer["kernel"], layer["dilation"]) if conv else (layer["size"], [1, 1])
        rows = axis_geometry(height, kernel[0], layer["stride"][0], dilation[0], layer["padding"])[0]
        cols = axis_geometry(width, kernel[1], layer["stride"][1], dilation[1], layer["padding"])[0]
        shapes.append([layer["channels"] if conv else channels, rows, cols])
    return shapes


def initial_conv_weights(seed, index, live, rows, cols, activation):
    """runtime/features/store.ts initialConvWeights: init.ts's rule over the [taps x in channels, out channels] matrix, 0 where masked."""
    entries = np.asarray(live, dtype=np.int64)
    values = np.zeros(rows * cols, dtype=np.float32)
    values[entries] = connection_weights(seed, FEATURE_KERNEL_BASE + index, entries // cols, entries % cols, cols, activation)
    return torch.from_numpy(values)


class MaskedConv(nn.Module):
    """A conv layer: conv2d(x, W * M) + b with TensorFlow's padding, W OIHW, M its bool mask (masked weights get zero gradient)."""

    def __init__(self, layer, shape):
        super().__init__()
        self.layer = layer
        kh, kw = layer["kernel"]
        self.hwio = [kh, kw, shape[0], layer["channels"]]
        self.weight = nn.Parameter(torch.zeros(layer["channels"], shape[0], kh, kw))
        self.register_buffer("mask", torch.ones(self.weight.shape, dtype=torch.bool))
        self.bias = nn.Parameter(torch.zeros(layer["channels"]))
        self.pad = window_padding(shape, layer["kernel"], layer["stride"], layer["dilation"], layer["padding"])
        # A zero tensor added to W * M while RigL asks for the gradient of every entry, masked ones too.
        self.probe = None
        # A LearnedMask where the spec's learnable masks name this conv (attach_learned_masks).
        self.learned = None

    def live(self):
        """The live entries of the spec's mask, row-major over the HWIO shape."""
        kh, kw, cin, cout = self.hwio
        return list(_live_entries(self.layer.get("mask", "full"), kh * kw * cin * cout))

    @torch.no_grad()
    def initialise(self, seed, index, activation):
        kh, kw, cin, cout = self.hwio
        live = self.live()
        values = initial_conv_weights(seed, index, live, kh * kw * cin, cout, activation)
        self.hwio_view(self.weight).copy_(values.reshape(self.hwio))
        flags = torch.zeros(kh * kw * cin * cout, dtype=torch.bool)
        flags[torch.tensor(live, dtype=torch.int64)] = True
        self.hwio_view(self.mask).copy_(flags.reshape(self.hwio))
        self.bias.zero_()

    def effective_mask(self):
        """The static mask, times the hardened keep probability where the mask learns."""
        return self.mask if self.learned is None else self.mask * self.learned.hard()

    @torch.no_grad()
    def current_mask(self):
        """The mask computed with now, as booleans (the runtime's getMask, currentMask)."""
        return self.effective_mask() > 0

    @staticmethod
    def hwio_view(tensor):
        """An OIHW tensor seen as HWIO (a view: copying into it writes the tensor)."""
        return tensor.permute(2, 3, 1, 0)

    def forward(self, x):
        layer = self.layer
        x = nn.functional.pad(x, self.pad)
        effective = self.weight * self.effective_mask()
        effective = effective if self.probe is None else effective + self.probe
        return nn.functional.conv2d(x, effective, self.bias, tuple(layer["stride"]), 0, tuple(layer["dilation"]))


def _distributed_world():
    """The process group's size while training under torchrun, else 1."""
    import torch.distributed as dist

    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


class BatchNorm(nn.Module):
    """runtime/features/batch-norm.ts: per channel, biased batch variance to normalise, the unbiased one into the running
    statistics, running <- (1 - momentum) running + momentum batch; inference uses the running statistics.

    Under DDP the batch statistics are the global batch's (sums all-reduced
    over the processes, differentiably), so every process normalises as a
    single process does over the whole batch, and the running statistics stay
    equal on every process.
    """

    def __init__(self, layer, shape):
        super().__init__()
        self.momentum, self.epsilon = float(layer["momentum"]), float(layer["epsilon"])
        self.gain = nn.Parameter(torch.ones(shape[0]))
        self.shift = nn.Parameter(torch.zeros(shape[0]))
        self.register_buffer("running_mean", torch.zeros(shape[0]))
        self.register_buffer("running_variance", torch.ones(shape[0]))

    @torch.no_grad()
    def initialise(self):
        self.gain.fill_(1.0)
        self.shift.zero_()
        self.running_mean.zero_()
        self.running_variance.fill_(1.0)

    def forward(self, x):
        if not self.training:
            scale = self.gain * torch.rsqrt(self.running_variance + self.epsilon)
            return (x - self.running_mean[:, None, None]) * scale[:, None, None] + self.shift[:, None, None]
        mean, variance, count = self._batch_moments(x)
        with torch.no_grad():
            unbiased = variance * (count / (count - 1)) if count > 1 else variance
            self.running_mean.mul_(1 - self.momentum).add_(mean.detach() * self.momentum)
            self.running_variance.mul_(1 - self.momentum).add_(unbiased.detach() * self.momentum)
        # In the runtime's order: the normalised maps, then gain and shift.
        normalised = (x - mean[:, None, None]) * torch.rsqrt(variance + self.epsilon)[:, None, None]
        return normalised * self.gain[:, None, None] + self.shift[:, None, None]

    def _batch_moments(self, x):
        """Per-channel mean and biased variance over batch, rows and columns (of the global batch under DDP), and the count."""
        world = _distributed_world()
        count = x.shape[0] * x.shape[2] * x.shape[3]
        if world == 1:
            mean = x.mean((0, 2, 3))
            return mean, (x - mean[:, None, None]).square().mean((0, 2, 3)), count
        import torch.distributed as dist
        from torch.distributed.nn.functional import all_reduce

        # The processes' shares of a batch may differ (its short last batch): the count is the global one.
        counted = torch.tensor([float(count)], dtype=torch.float64, device=x.device)
        dist.all_reduce(counted)
        count = counted.item()
        mean = all_reduce(x.sum((0, 2, 3))) / count
        return mean, all_reduce((x - mean[:, None, None]).square().sum((0, 2, 3))) / count, count


class Pool(nn.Module):
    """max_pool / avg_pool with TensorFlow's padding (padded entries never win a max, nor count in a mean), or global_avg_pool."""

    def __init__(self, layer, shape):
        super().__init__()
        self.layer = layer
        if layer["kind"] != "globalAvgPool":
            self.pad = window_padding(shape, layer["size"], layer["stride"], [1, 1], layer["padding"])

    def forward(self, x):
        layer = self.layer
        if layer["kind"] == "globalAvgPool":
            return x.mean((2, 3), keepdim=True)
        size, stride = tuple(layer["size"]), tuple(layer["stride"])
        if layer["kind"] == "maxPool":
            return nn.functional.max_pool2d(nn.functional.pad(x, self.pad, value=-math.inf), size, stride)
        area = size[0] * size[1]
        sums = nn.functional.avg_pool2d(nn.functional.pad(x, self.pad), size, stride) * area
        if not any(self.pad):
            return sums / area
        ones = nn.functional.pad(torch.ones_like(x[:1, :1]), self.pad)
        return sums / (nn.functional.avg_pool2d(ones, size, stride) * area)


class Features(nn.Module):
    """Feature layers in order, each followed by the network's activation where the spec says so; forward returns the maps
    flattened, maps() the maps themselves. first_index is the number of feature layers before these (a cell's or the
    head's layers come after the stem's and earlier cells'), so each conv draws its initial weights from its own stream."""

    def __init__(self, layers, input_shape, activation, first_index=0):
        super().__init__()
        self.specs, self.first_index, self.activation_name = layers, first_index, activation
        self.shapes = feature_shapes(input_shape, self.specs)
        made = {"conv": MaskedConv, "batchNorm": BatchNorm}
        self.layers = nn.ModuleList(made.get(layer["kind"], Pool)(layer, self.shapes[i]) for i, layer in enumerate(self.specs))
        self.activation = _ACTIVATIONS[activation]
        for module, following in zip(self.layers, self.specs[1:]):
            if isinstance(module, MaskedConv) and following["kind"] == "batchNorm":
                # The batch norm subtracts the batch mean, this bias included: its gradient is 0 in exact arithmetic and
                # rounding noise in floats, which Adam would scale up to steps of +-lr (different noise on each process
                # under DDP). Held at exactly 0, the bias stays where it was loaded, and the running means follow the maps.
                module.bias.register_hook(torch.zeros_like)

    def initialise(self, seed):
        for index, module in enumerate(self.layers):
            if isinstance(module, MaskedConv):
                module.initialise(seed, self.first_index + index, self.activation_name)
            elif isinstance(module, BatchNorm):
                module.initialise()

    def convs(self):
        return [module for module in self.layers if isinstance(module, MaskedConv)]

    def maps(self, x):
        for layer, module in zip(self.specs, self.layers):
            x = module(x)
            if layer.get("activate", False):
                x = self.activation(x)
        return x

    def forward(self, x):
        return self.maps(x).flatten(1)

    def run_entries(self, stored=False):
        """(parameters, state, masks) as the run folder names them: conv weights HWIO, batch norms' running statistics;
        a conv's mask the one it computes with (learned included), or with stored=True the static buffer loading fills."""
        parameters, state, masks = [], [], []
        for layer, module in zip(self.specs, self.layers):
            name = layer["name"]
            if isinstance(module, MaskedConv):
                parameters += [(f"{name}.weight", MaskedConv.hwio_view(module.weight)), (f"{name}.bias", module.bias)]
                masks.append((f"{name}.mask", MaskedConv.hwio_view(module.mask if stored else module.current_mask())))
            elif isinstance(module, BatchNorm):
                parameters += [(f"{name}.gain", module.gain), (f"{name}.shift", module.shift)]
                state += [(f"{name}.runningMean", module.running_mean), (f"{name}.runningVariance", module.running_variance)]
        return parameters, state, masks
`;
