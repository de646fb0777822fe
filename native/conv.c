/*
 * The masked convolution's three products on OpenBLAS, as im2col × weight:
 *
 *   convForward(geometry, x, w, bias | null, y [, relu])
 *                                                  y = patches(x) · w (+ bias), then max(0, y) if relu
 *   convFilterGradient(geometry, x, dy, dw)        dw = patches(x)ᵀ · dy
 *   convInputGradient(geometry, dy, w, dx)         dx = col2im(dy · wᵀ)
 *
 * NHWC x [batch, rows, cols, in], HWIO w [kh, kw, in, out] (read as the
 * matrix [kh · kw · in, out]), y and dy [batch, out rows, out cols, out];
 * every array a Float32Array (usually a view on TensorFlow.js's WASM heap,
 * so nothing is copied in or out). The forward's bias is per output channel
 * ([out]) or per output position ([out rows, out cols, out], the same for
 * every sample: a pruned input's constant share, which is not the same at
 * the padded borders); it and the relu are applied inside the product (the
 * bias as its accumulator's start) where separate ops made two more passes
 * over the output. `geometry` is an Int32Array of 15:
 * batch, rows, cols, in, out rows, out cols, out, kh, kw, stride rows, stride
 * cols, dilation rows, dilation cols, padding above, padding left. A tap
 * outside the input reads zero (the padding is never stored).
 *
 * The patches are built for a block of samples at a time (at most
 * BLOCK_FLOATS floats, at least one sample), so memory stays bounded at any
 * batch size; the filter gradient sums the blocks' products in place. The
 * buffer is kept for the next call (block()), so a thread holds at most one
 * block's worth, 16 MB.
 */
#include "pool.h"
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

napi_value deepstruct_conv_forward(napi_env env, napi_callback_info info);
napi_value deepstruct_conv_filter_gradient(napi_env env, napi_callback_info info);
napi_value deepstruct_conv_input_gradient(napi_env env, napi_callback_info info);

/* 16 MB of patches per block: one sample of the largest layers we run, several of the small ones. */
#define BLOCK_FLOATS (4u << 20)

typedef struct {
  int32_t batch, rows, cols, in, out_rows, out_cols, out, kh, kw, sh, sw, dh, dw, top, left;
} Geometry;

/* Floats of each array the call reads or writes. */
static size_t input_floats(const Geometry *g) { return (size_t)g->batch * g->rows * g->cols * g->in; }
static size_t output_floats(const Geometry *g) { return (size_t)g->batch * g->out_rows * g->out_cols * g->out; }
static size_t weight_floats(const Geometry *g) { return (size_t)g->kh * g->kw * g->in * g->out; }
static size_t patch_width(const Geometry *g) { return (size_t)g->kh * g->kw * g->in; }

static napi_value fail(napi_env env, const char *name, const char *why) {
  char message[224];
  snprintf(message, sizeof message, "deepstruct native: %s: %s", name, why);
  napi_throw_range_error(env, "ERR_DEEPSTRUCT_NATIVE", message);
  return NULL;
}

/* argv[i] as a Float32Array of at least `needed` floats; NULL (an exception pending) otherwise. */
static float *floats_at_least(napi_env env, napi_value value, size_t needed, const char *name, const char *what) {
  bool typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  char why[160];
  if (napi_is_typedarray(env, value, &typed) != napi_ok || !typed || napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float32_array) {
    snprintf(why, sizeof why, "%s must be a Float32Array", what);
    fail(env, name, why);
    return NULL;
  }
  if (length < needed) {
    snprintf(why, sizeof why, "%s has %zu floats, the geometry needs %zu", what, length, needed);
    fail(env, name, why);
    return NULL;
  }
  return data;
}

/* The geometry from argv[0], checked: sizes positive, strides and dilations at least 1, paddings not negative. */
static bool geometry(napi_env env, napi_value value, const char *name, Geometry *g) {
  bool typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_is_typedarray(env, value, &typed) != napi_ok || !typed || napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_int32_array || length != 15) {
    fail(env, name, "geometry must be an Int32Array of 15 (batch, rows, cols, in, out rows, out cols, out, kh, kw, sh, sw, dh, dw, top, left)");
    return false;
  }
  memcpy(g, data, sizeof *g);
  const int32_t *v = data;
  for (int i = 0; i < 13; i++)
    if (v[i] < 1) return fail(env, name, "geometry's sizes, strides and dilations must be at least 1"), false;
  if (g->top < 0 || g->left < 0) return fail(env, name, "geometry's paddings must not be negative"), false;
  return true;
}

/* The arguments after the geometry, `count` of them, and the geometry itself. */
static bool arguments(napi_env env, napi_callback_info info, size_t count, napi_value *argv, Geometry *g, const char *name) {
  size_t argc = count + 1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != count + 1) return fail(env, name, "wrong number of arguments"), false;
  return geometry(env, argv[0], name, g);
}

/* The input row and column tap (i, j) of output (r, q) reads, and whether it lies inside the input. */
static bool tap(const Geometry *g, int32_t r, int32_t q, int32_t i, int32_t j, int32_t *ir, int32_t *iq) {
  *ir = r * g->sh - g->top + i * g->dh;
  *iq = q * g->sw - g->left + j * g->dw;
  return *ir >= 0 && *ir < g->rows && *iq >= 0 && *iq < g->cols;
}

/* n floats from src to dst: a loop for the short runs of narrow inputs (a 1-channel 3-tap run is 12 bytes), where memcpy's call dominated. */
static void copy_floats(float *dst, const float *src, size_t n) {
  if (n > 16) {
    memcpy(dst, src, sizeof(float) * n);
    return;
  }
  for (size_t k = 0; k < n; k++) dst[k] = src[k];
}

static void zero_floats(float *dst, size_t n) {
  for (size_t k = 0; k < n; k++) dst[k] = 0.0f;
}

/*
 * Kernel row i of output (r, q)'s patch, kw · in floats: the taps that read
 * inside the input, zeros for the others. Undilated columns are adjacent in
 * NHWC, so the inside taps are one run.
 */
static void patch_kernel_row(const Geometry *g, const float *sample, int32_t r, int32_t q, int32_t i, float *dst) {
  const size_t in = (size_t)g->in;
  const int32_t ir = r * g->sh - g->top + i * g->dh, q0 = q * g->sw - g->left;
  if (ir < 0 || ir >= g->rows) {
    zero_floats(dst, (size_t)g->kw * in);
    return;
  }
  const float *line = sample + (size_t)ir * g->cols * in;
  if (g->dw == 1) {
    const int32_t lo = q0 < 0 ? (-q0 < g->kw ? -q0 : g->kw) : 0;
    const int32_t end = g->cols - q0 < g->kw ? g->cols - q0 : g->kw, hi = end < lo ? lo : end;
    zero_floats(dst, (size_t)lo * in);
    copy_floats(dst + (size_t)lo * in, line + (size_t)(q0 + lo) * in, (size_t)(hi - lo) * in);
    zero_floats(dst + (size_t)hi * in, (size_t)(g->kw - hi) * in);
    return;
  }
  for (int32_t j = 0; j < g->kw; j++) {
    const int32_t iq = q0 + j * g->dw;
    if (iq >= 0 && iq < g->cols)
      copy_floats(dst + (size_t)j * in, line + (size_t)iq * in, in);
    else
      zero_floats(dst + (size_t)j * in, in);
  }
}

/* Samples [first, first + count) of x as patch rows: [count · out rows · out cols, kh · kw · in], taps in HWIO order. */
static void im2col(const Geometry *g, const float *x, int32_t first, int32_t count, float *cols) {
  const size_t width = patch_width(g), kernel_row = (size_t)g->kw * g->in;
  for (int32_t b = 0; b < count; b++) {
    const float *sample = x + (size_t)(first + b) * g->rows * g->cols * g->in;
    for (int32_t r = 0; r < g->out_rows; r++)
      for (int32_t q = 0; q < g->out_cols; q++) {
        float *row = cols + (((size_t)b * g->out_rows + r) * g->out_cols + q) * width;
        for (int32_t i = 0; i < g->kh; i++) patch_kernel_row(g, sample, r, q, i, row + (size_t)i * kernel_row);
      }
  }
}

/*
 * A 1-channel input at column stride 1 (a first layer's grey image) as the
 * patches transposed, [kh · kw, count · out rows · out cols]: there a tap's
 * entries along an output row are adjacent input columns, one run each,
 * where the row layout wrote a run of kw floats per kernel row and output
 * (0.8 ms of the 28×28×1 → 32 layer's 1.4 at batch 64, in calls).
 */
static void single_channel_rows(const Geometry *g, const float *x, int32_t first, int32_t count, float *cols) {
  const size_t m = (size_t)count * g->out_rows * g->out_cols, oc = (size_t)g->out_cols;
  for (int32_t i = 0; i < g->kh; i++)
    for (int32_t j = 0; j < g->kw; j++) {
      const int32_t shift = j * g->dw - g->left;
      const int32_t lo = shift < 0 ? (-shift < g->out_cols ? -shift : g->out_cols) : 0;
      const int32_t end = g->cols - shift < g->out_cols ? g->cols - shift : g->out_cols, hi = end < lo ? lo : end;
      float *tap_row = cols + ((size_t)i * g->kw + j) * m;
      for (int32_t b = 0; b < count; b++)
        for (int32_t r = 0; r < g->out_rows; r++) {
          float *dst = tap_row + ((size_t)b * g->out_rows + r) * oc;
          const int32_t ir = r * g->sh - g->top + i * g->dh;
          if (ir < 0 || ir >= g->rows) {
            zero_floats(dst, oc);
            continue;
          }
          const float *line = x + ((size_t)(first + b) * g->rows + ir) * g->cols;
          zero_floats(dst, (size_t)lo);
          copy_floats(dst + lo, line + lo + shift, (size_t)(hi - lo));
          zero_floats(dst + hi, oc - (size_t)hi);
        }
    }
}

/* Whether patches() builds them transposed (single_channel_rows) for this geometry. */
static bool transposed_patches(const Geometry *g) { return g->in == 1 && g->sw == 1; }

/* Samples [first, first + count)'s patches: [rows, width] (im2col), or transposed where transposed_patches says. */
static void patches(const Geometry *g, const float *x, int32_t first, int32_t count, float *cols) {
  if (transposed_patches(g))
    single_channel_rows(g, x, first, count, cols);
  else
    im2col(g, x, first, count, cols);
}

/* The transpose of im2col: every patch entry added back onto the input position it was read from. */
static void col2im(const Geometry *g, const float *cols, int32_t first, int32_t count, float *dx) {
  const size_t width = patch_width(g);
  for (int32_t b = 0; b < count; b++) {
    float *sample = dx + (size_t)(first + b) * g->rows * g->cols * g->in;
    for (int32_t r = 0; r < g->out_rows; r++)
      for (int32_t q = 0; q < g->out_cols; q++) {
        const float *row = cols + (((size_t)b * g->out_rows + r) * g->out_cols + q) * width;
        for (int32_t i = 0; i < g->kh; i++)
          for (int32_t j = 0; j < g->kw; j++) {
            int32_t ir, iq;
            if (!tap(g, r, q, i, j, &ir, &iq)) continue;
            const float *src = row + ((size_t)i * g->kw + j) * g->in;
            float *dst = sample + ((size_t)ir * g->cols + iq) * g->in;
            for (int32_t c = 0; c < g->in; c++) dst[c] += src[c];
          }
      }
  }
}

/*
 * The patches' buffer, kept between calls and grown as needed (one per
 * thread: a worker may load the addon too). A fresh malloc of this size is a
 * fresh mmap, whose first touch of every page faulted on each call.
 */
static _Thread_local float *scratch = NULL;
static _Thread_local size_t scratch_floats = 0;

/* Samples per block of patches, and the block's buffer (NULL, an exception pending, when it cannot be allocated). */
static float *block(napi_env env, const Geometry *g, const char *name, int32_t *samples) {
  const size_t per_sample = (size_t)g->out_rows * g->out_cols * patch_width(g);
  const size_t fit = per_sample == 0 ? 1 : BLOCK_FLOATS / per_sample;
  *samples = fit < 1 ? 1 : fit > (size_t)g->batch ? g->batch : (int32_t)fit;
  const size_t needed = per_sample * (size_t)*samples;
  if (needed > scratch_floats) {
    float *grown = realloc(scratch, sizeof(float) * needed);
    if (grown == NULL) return fail(env, name, "out of memory for the patches"), NULL;
    scratch = grown;
    scratch_floats = needed;
  }
  return scratch;
}

/* The forward's bias: NULL for none, else [out] or [out rows · out cols · out] floats (*per_position says which). */
static bool forward_bias(napi_env env, napi_value value, const Geometry *g, const char *name, const float **bias, bool *per_position) {
  napi_valuetype type;
  *bias = NULL;
  *per_position = false;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  if (type == napi_null || type == napi_undefined) return true;
  const float *floats = floats_at_least(env, value, (size_t)g->out, name, "bias");
  size_t length = 0;
  if (floats == NULL || napi_get_typedarray_info(env, value, NULL, &length, NULL, NULL, NULL) != napi_ok) return false;
  const size_t positions = (size_t)g->out_rows * g->out_cols * g->out;
  if (length != (size_t)g->out && length != positions) return fail(env, name, "bias must have out or out rows · out cols · out floats"), false;
  *bias = floats;
  *per_position = length == positions && positions != (size_t)g->out;
  return true;
}

/* The optional last argument: whether to apply relu to the output. */
static bool relu_flag(napi_env env, size_t argc, napi_value *argv, const char *name, bool *relu) {
  *relu = false;
  if (argc < 6) return true;
  if (napi_get_value_bool(env, argv[5], relu) != napi_ok) return fail(env, name, "relu must be a boolean"), false;
  return true;
}

/* y's rows [0, m) start as the bias: per channel on every row, per position once per sample of the block. */
static void start_with_bias(const Geometry *g, const float *bias, bool per_position, int32_t m, float *out) {
  const size_t per_sample = (size_t)g->out_rows * g->out_cols * g->out;
  const size_t total = (size_t)m * g->out, unit = per_position ? per_sample : (size_t)g->out;
  memcpy(out, bias, sizeof(float) * unit);
  // Doubling what is filled: a few large copies where a copy per row made m small ones.
  for (size_t filled = unit; filled < total; filled *= 2) memcpy(out + filled, out, sizeof(float) * (filled < total - filled ? filled : total - filled));
}

napi_value deepstruct_conv_forward(napi_env env, napi_callback_info info) {
  const char *name = "convForward";
  napi_value argv[6];
  size_t argc = 6;
  Geometry g;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 || argc > 6) return fail(env, name, "wrong number of arguments");
  if (!geometry(env, argv[0], name, &g)) return NULL;
  const float *x = floats_at_least(env, argv[1], input_floats(&g), name, "x");
  const float *w = x == NULL ? NULL : floats_at_least(env, argv[2], weight_floats(&g), name, "w");
  const float *bias;
  bool per_position, relu;
  if (w == NULL || !forward_bias(env, argv[3], &g, name, &bias, &per_position) || !relu_flag(env, argc, argv, name, &relu)) return NULL;
  float *y = floats_at_least(env, argv[4], output_floats(&g), name, "y");
  int32_t samples;
  float *cols = y == NULL ? NULL : block(env, &g, name, &samples);
  if (cols == NULL) return NULL;
  const int32_t width = (int32_t)patch_width(&g), per_sample = g.out_rows * g.out_cols;
  for (int32_t first = 0; first < g.batch; first += samples) {
    const int32_t count = g.batch - first < samples ? g.batch - first : samples, m = count * per_sample;
    float *out = y + (size_t)first * per_sample * g.out;
    if (bias != NULL) start_with_bias(&g, bias, per_position, m, out);
    patches(&g, x, first, count, cols);
    const bool t = transposed_patches(&g);
    pool_sgemm(t, false, m, g.out, width, cols, t ? m : width, w, g.out, bias != NULL ? 1.0f : 0.0f, out, g.out);
    if (relu)
      for (size_t k = 0; k < (size_t)m * g.out; k++) out[k] = out[k] > 0.0f ? out[k] : 0.0f;
  }
  return NULL;
}

napi_value deepstruct_conv_filter_gradient(napi_env env, napi_callback_info info) {
  const char *name = "convFilterGradient";
  napi_value argv[4];
  Geometry g;
  if (!arguments(env, info, 3, argv, &g, name)) return NULL;
  const float *x = floats_at_least(env, argv[1], input_floats(&g), name, "x");
  const float *dy = x == NULL ? NULL : floats_at_least(env, argv[2], output_floats(&g), name, "dy");
  float *dw = dy == NULL ? NULL : floats_at_least(env, argv[3], weight_floats(&g), name, "dw");
  int32_t samples;
  float *cols = dw == NULL ? NULL : block(env, &g, name, &samples);
  if (cols == NULL) return NULL;
  const int32_t width = (int32_t)patch_width(&g), per_sample = g.out_rows * g.out_cols;
  for (int32_t first = 0; first < g.batch; first += samples) {
    const int32_t count = g.batch - first < samples ? g.batch - first : samples, m = count * per_sample;
    patches(&g, x, first, count, cols);
    const bool t = transposed_patches(&g);
    pool_sgemm(!t, false, width, g.out, m, cols, t ? m : width, dy + (size_t)first * per_sample * g.out, g.out, first == 0 ? 0.0f : 1.0f, dw, g.out);
  }
  return NULL;
}

napi_value deepstruct_conv_input_gradient(napi_env env, napi_callback_info info) {
  const char *name = "convInputGradient";
  napi_value argv[4];
  Geometry g;
  if (!arguments(env, info, 3, argv, &g, name)) return NULL;
  const float *dy = floats_at_least(env, argv[1], output_floats(&g), name, "dy");
  const float *w = dy == NULL ? NULL : floats_at_least(env, argv[2], weight_floats(&g), name, "w");
  float *dx = w == NULL ? NULL : floats_at_least(env, argv[3], input_floats(&g), name, "dx");
  int32_t samples;
  float *cols = dx == NULL ? NULL : block(env, &g, name, &samples);
  if (cols == NULL) return NULL;
  memset(dx, 0, sizeof(float) * input_floats(&g));
  const int32_t width = (int32_t)patch_width(&g), per_sample = g.out_rows * g.out_cols;
  for (int32_t first = 0; first < g.batch; first += samples) {
    const int32_t count = g.batch - first < samples ? g.batch - first : samples, m = count * per_sample;
    pool_sgemm(false, true, m, width, g.out, dy + (size_t)first * per_sample * g.out, g.out, w, g.out, 0.0f, cols, width);
    col2im(&g, cols, first, count, dx);
  }
  return NULL;
}
