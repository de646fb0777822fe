/*
 * The masked convolution's three products on OpenBLAS, as im2col × weight:
 *
 *   convForward(geometry, x, w, bias | null, y)   y = patches(x) · w (+ bias)
 *   convFilterGradient(geometry, x, dy, dw)        dw = patches(x)ᵀ · dy
 *   convInputGradient(geometry, dy, w, dx)         dx = col2im(dy · wᵀ)
 *
 * NHWC x [batch, rows, cols, in], HWIO w [kh, kw, in, out] (read as the
 * matrix [kh · kw · in, out]), y and dy [batch, out rows, out cols, out];
 * every array a Float32Array (usually a view on TensorFlow.js's WASM heap,
 * so nothing is copied in or out). `geometry` is an Int32Array of 15:
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
#include <cblas.h>
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

/* Samples [first, first + count) of x as patch rows: [count · out rows · out cols, kh · kw · in], taps in HWIO order. */
static void im2col(const Geometry *g, const float *x, int32_t first, int32_t count, float *cols) {
  const size_t width = patch_width(g), channel_bytes = sizeof(float) * g->in;
  for (int32_t b = 0; b < count; b++) {
    const float *sample = x + (size_t)(first + b) * g->rows * g->cols * g->in;
    for (int32_t r = 0; r < g->out_rows; r++)
      for (int32_t q = 0; q < g->out_cols; q++) {
        float *row = cols + (((size_t)b * g->out_rows + r) * g->out_cols + q) * width;
        for (int32_t i = 0; i < g->kh; i++)
          for (int32_t j = 0; j < g->kw; j++) {
            int32_t ir, iq;
            float *dst = row + ((size_t)i * g->kw + j) * g->in;
            if (tap(g, r, q, i, j, &ir, &iq))
              memcpy(dst, sample + ((size_t)ir * g->cols + iq) * g->in, channel_bytes);
            else
              memset(dst, 0, channel_bytes);
          }
      }
  }
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

napi_value deepstruct_conv_forward(napi_env env, napi_callback_info info) {
  const char *name = "convForward";
  napi_value argv[5];
  Geometry g;
  if (!arguments(env, info, 4, argv, &g, name)) return NULL;
  const float *x = floats_at_least(env, argv[1], input_floats(&g), name, "x");
  const float *w = x == NULL ? NULL : floats_at_least(env, argv[2], weight_floats(&g), name, "w");
  napi_valuetype bias_type;
  if (w == NULL || napi_typeof(env, argv[3], &bias_type) != napi_ok) return NULL;
  const bool no_bias = bias_type == napi_null || bias_type == napi_undefined;
  const float *bias = no_bias ? NULL : floats_at_least(env, argv[3], (size_t)g.out, name, "bias");
  if (!no_bias && bias == NULL) return NULL;
  float *y = floats_at_least(env, argv[4], output_floats(&g), name, "y");
  int32_t samples;
  float *cols = y == NULL ? NULL : block(env, &g, name, &samples);
  if (cols == NULL) return NULL;
  const int32_t width = (int32_t)patch_width(&g), per_sample = g.out_rows * g.out_cols;
  for (int32_t first = 0; first < g.batch; first += samples) {
    const int32_t count = g.batch - first < samples ? g.batch - first : samples, m = count * per_sample;
    float *out = y + (size_t)first * per_sample * g.out;
    if (bias != NULL)
      for (int32_t row = 0; row < m; row++) memcpy(out + (size_t)row * g.out, bias, sizeof(float) * g.out);
    im2col(&g, x, first, count, cols);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, g.out, width, 1.0f, cols, width, w, g.out, bias != NULL ? 1.0f : 0.0f, out, g.out);
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
    im2col(&g, x, first, count, cols);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, width, g.out, m, 1.0f, cols, width, dy + (size_t)first * per_sample * g.out, g.out,
                first == 0 ? 0.0f : 1.0f, dw, g.out);
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
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, width, g.out, 1.0f, dy + (size_t)first * per_sample * g.out, g.out, w, g.out, 0.0f, cols, width);
    col2im(&g, cols, first, count, dx);
  }
  return NULL;
}
