/** Python source text: string literals, long strings wrapped over lines, and class names. */

/** A single-quoted Python string literal (JSON text has no control characters left unescaped). */
export function pyString(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * A long string as adjacent literals in parentheses, `width` characters
 * (code points, so no surrogate pair is split) per line: Python joins them
 * at compile time, and no line of the module grows with the network.
 */
export function wrappedString(text: string, indent: string, width = 80): string {
  const points = Array.from(text);
  if (points.length <= width) return pyString(text);
  const lines: string[] = [];
  for (let i = 0; i < points.length; i += width) lines.push(`${indent}    ${pyString(points.slice(i, i + width).join(""))}`);
  return `(\n${lines.join("\n")}\n${indent})`;
}

/** Names the prelude defines or Python reserves; a network called one of them gets a trailing underscore. */
const RESERVED = new Set([
  ...[
    "Network",
    "MaskedKernel",
    "KernelLayout",
    "NETWORKS",
    "from_run",
    "read_run",
    "write_run",
    "layer_norm",
    "decode_integers",
    "train",
    "main",
    "make_optimizer",
    "read_samples",
    "read_exported",
    "evaluate",
    "SAMPLES_FORMAT",
    "DEFAULT_LEARNING_RATE",
    "entry_draws",
    "Pruning",
    "Growth",
    "SeededRandom",
    "dense_weight_gradients",
    "prune",
    "network_blocks",
    "prunable_weights",
    "masked_weights",
    "parse_lr_schedule",
    "learning_rates",
    "set_learning_rate",
    "l2_penalty",
    "decay_weights",
    "clip_gradients",
    "EarlyStopping",
    "DATA_FREE_SALIENCIES",
    "initial_weights",
    "initial_logits",
    "np",
    "process_group_backend",
    "training_device",
  ],
  ...["Features", "MaskedConv", "BatchNorm", "Pool", "FEATURE_KERNEL_BASE", "axis_geometry", "window_padding", "feature_shapes"],
  ...["Cells", "concat_padded", "concatenated_shape"],
  ...["initial_conv_weights", "connection_weights"],
  ...["Recurrent", "MaskedRecurrentLayer", "RECURRENT_SEED_BASE", "RECURRENT_GATES", "initial_recurrent_values"],
  ...["LAYER_NORM_EPSILON", "WEIGHTS_FORMAT", "WEIGHTS_FORMAT_VERSION", "torch", "nn", "json", "copy", "os", "re", "base64", "hashlib", "sys", "time", "math"],
  ...["False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else"],
  ...["except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise"],
  ...["return", "try", "while", "with", "yield", "match", "case"],
]);

/** The Python class of a network (.ds names are already Python identifiers). */
export function className(network: string): string {
  return RESERVED.has(network) || network.startsWith("_") ? `${network}_` : network;
}
