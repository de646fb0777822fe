/**
 * The Python of `dsc train`'s step and run options in the generated `train`
 * (runtime/training/schedules.ts, early-stopping.ts, regularization.ts):
 * learning-rate schedules with warm-up, decoupled weight decay and the L2
 * term on the dense connections' live weights, gradient clipping by global
 * norm then by value, and early stopping on the held-out loss. Same flags,
 * same meaning, same arithmetic order as the runtime, so a run gives the
 * weights `dsc train` gives.
 */
export const OPTIONS = String.raw`# runtime/training: what dsc train's --lr-schedule, --warmup, --weight-decay, --l2, --clip-norm, --clip-value and
# --early-stopping do, step by step as fit does them.
def parse_lr_schedule(text):
    """dsc train's --lr-schedule: constant | step:EVERY:FACTOR | cosine[:MINIMUM], as a schedule dict; None if malformed."""
    kind, *parts = text.split(":")
    try:
        if kind == "constant" and not parts:
            return {"kind": "constant"}
        if kind == "step" and len(parts) == 2 and int(parts[0]) >= 1 and 0 < float(parts[1]) < math.inf:
            return {"kind": "step", "every": int(parts[0]), "factor": float(parts[1])}
        if kind == "cosine" and len(parts) <= 1 and (not parts or 0 <= float(parts[0]) < math.inf):
            return {"kind": "cosine", "minimum": float(parts[0]) if parts else 0.0}
    except ValueError:
        return None
    return None


def learning_rates(base, schedule, warmup_epochs, epochs, batches):
    """schedules.ts learningRates: the rate of step t (from 0, counted over the whole run); warm-up rises linearly to
    the base rate over warmup_epochs, a step schedule multiplies by factor every "every" epochs, cosine falls from the
    base rate to its minimum over the steps after the warm-up."""
    if schedule is None and warmup_epochs is None:
        return lambda t: base
    schedule = schedule or {"kind": "constant"}
    warmup, total = (warmup_epochs or 0) * batches, epochs * batches
    if schedule["kind"] == "step":
        every, factor = schedule["every"], schedule["factor"]
        after = lambda t: base * math.pow(factor, (t // batches) // every)
    elif schedule["kind"] == "cosine":
        minimum, span = schedule["minimum"], max(1, total - warmup)
        if minimum > base:
            raise ValueError(f"--lr-schedule cosine's MINIMUM must be in [0, {base}] (the learning rate), got {minimum}")
        after = lambda t: minimum + (base - minimum) * (1 + math.cos(math.pi * min(t - warmup, span) / span)) / 2
    else:
        after = lambda t: base
    return lambda t: base * (t + 1) / warmup if t < warmup else after(t)


def set_learning_rate(optimizer, rate):
    for group in optimizer.param_groups:
        group["lr"] = rate


def _live_weights(model):
    """regularization.ts liveWeights: the dense kernels' weights (not biases, gains, conv or recurrent weights) times
    their masks as the kernels compute with them (learned masks included)."""
    return [(module.weight, module.live_mask()) for module in model.kernels if module.weight is not None]


def l2_penalty(model, strength):
    """regularization.ts l2Penalty: strength * the sum of the squared live weights, for the loss."""
    return strength * sum((weight * mask).square().sum() for weight, mask in _live_weights(model))


@torch.no_grad()
def decay_weights(model, rate):
    """regularization.ts decayWeights: w <- w - rate * w at the live weights (rate = the step's rate times the decay),
    after the gradients and before the optimizer's step, as AdamW's decoupled decay."""
    for weight, mask in _live_weights(model):
        weight.sub_(rate * (weight * mask))


@torch.no_grad()
def clip_gradients(parameters, clip_norm, clip_value):
    """regularization.ts clipGradients: every gradient times clip_norm / max(global L2 norm, clip_norm), then each
    entry clipped to [-clip_value, clip_value] (Keras's order); either may be None."""
    gradients = [p.grad for p in parameters if p.grad is not None]
    if clip_norm is not None and gradients:
        norm = torch.sqrt(torch.stack([g.square().sum() for g in gradients]).sum())
        scale = clip_norm / torch.clamp(norm, min=clip_norm)
        for g in gradients:
            g.mul_(scale)
    if clip_value is not None:
        for g in gradients:
            g.clamp_(-clip_value, clip_value)


class EarlyStopping:
    """early-stopping.ts as dsc train's --early-stopping P sets it: monitor the held-out loss, minDelta 0; after
    max(1, P) epochs in a row without a lower loss, stop, and with restore_best put back the best epoch's parameters
    and dense masks (what the runtime's snapshot holds)."""

    def __init__(self, patience, restore_best):
        self.patience, self.restore_best = patience, restore_best
        self.best, self.best_epoch, self.wait, self.snapshot = None, 0, 0, None

    def update(self, model, epoch, value):
        """After an epoch's held-out loss: whether to stop (the best epoch already put back when asked)."""
        if self.best is None or value < self.best:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.snapshot = ([p.detach().clone() for p in model.parameters()], [m.mask.clone() for m in model.kernels])
            return False
        self.wait += 1
        if self.wait < max(1, self.patience):
            return False
        if self.snapshot is not None:
            self._restore(model)
        return True

    @torch.no_grad()
    def _restore(self, model):
        parameters, masks = self.snapshot
        for parameter, saved in zip(model.parameters(), parameters):
            parameter.copy_(saved)
        for module, saved in zip(model.kernels, masks):
            module.mask.copy_(saved)
        model.apply_masks()`;
