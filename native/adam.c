/*
 * Adam over many parameter tensors in one call (runtime/training/fused-adam.ts):
 *
 *   adamUpdate(memory, table, constants)
 *
 * `memory` a Float32Array over the whole WASM heap; `table` a Uint32Array of
 * 10 words per tensor — its size, then byte offsets of its value, gradient,
 * first and second moment, and of the new value and moments to write (the
 * same three offsets again: updated in place), then the byte offset of an
 * int32 list of the entries to update and its length (0 and 0: every entry;
 * else the others keep their value and moments);
 * `constants` a Float32Array [beta1, beta2, 1 − beta1, 1 − beta2,
 * 1 − beta1^t, 1 − beta2^t, epsilon, −learningRate]. Each element follows
 * TensorFlow.js's AdamOptimizer op by op, in float32 and without fused
 * multiply-adds, so the results are TensorFlow.js's to the last bit:
 *
 *   m' = m·β1 + g·(1 − β1),  v' = v·β2 + g²·(1 − β2),
 *   w' = (m'/(1 − β1^t)) / (√(v'/(1 − β2^t)) + ε) · (−lr) + w
 *
 * The elements are split over the addon's pool (pool.h) in pieces of
 * PIECE, across tensors: each element's update is its own, so the result is
 * the same bits on any number of threads.
 */
// No contraction into fused multiply-adds, so the rounding is the ops' (the build passes -fno-math-errno, so sqrtf vectorises).
#pragma GCC optimize("fp-contract=off")
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

napi_value deepstruct_adam_step(napi_env env, napi_callback_info info);

typedef struct {
  float b1, b2, c1, c2, bias1, bias2, eps, rate;
} AdamConstants;

#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

/* One element's update, in place: the four arrays are distinct. */
#define ADAM_ELEMENT(i)                                                           \
  do {                                                                            \
    const float first = m[i] * k.b1 + g[i] * k.c1;                                \
    const float second = v[i] * k.b2 + (g[i] * g[i]) * k.c2;                      \
    m[i] = first;                                                                 \
    v[i] = second;                                                                \
    w[i] = ((first / k.bias1) / (__builtin_sqrtf(second / k.bias2) + k.eps)) * k.rate + w[i]; \
  } while (0)

CLONES static void adam(size_t n, float *restrict w, const float *restrict g, float *restrict m, float *restrict v, AdamConstants k) {
  for (size_t i = 0; i < n; i++) ADAM_ELEMENT(i);
}

/* Entries listed per block of adam_at: gathered, updated by the vectorised loop above, scattered back. */
#define AT_BLOCK 64

/*
 * Only the entries at `at` (a kernel's live connections: the others' gradient is zero and they stay as they are),
 * in blocks gathered into contiguous buffers so that `adam` runs vectorised on them (element by element its square
 * root and divisions ran scalar: 11,760 listed entries of a pruned LeNet's first layer took longer than 30,000
 * whole ones). The same operations on each element, so the same results to the bit.
 */
static void adam_at(size_t count, const int32_t *at, float *restrict w, const float *restrict g, float *restrict m, float *restrict v, AdamConstants k) {
  float bw[AT_BLOCK], bg[AT_BLOCK], bm[AT_BLOCK], bv[AT_BLOCK];
  for (size_t j0 = 0; j0 < count; j0 += AT_BLOCK) {
    const size_t n = count - j0 < AT_BLOCK ? count - j0 : AT_BLOCK;
    for (size_t j = 0; j < n; j++) {
      const size_t i = (size_t)at[j0 + j];
      bw[j] = w[i], bg[j] = g[i], bm[j] = m[i], bv[j] = v[i];
    }
    adam(n, bw, bg, bm, bv, k);
    for (size_t j = 0; j < n; j++) {
      const size_t i = (size_t)at[j0 + j];
      w[i] = bw[j], m[i] = bm[j], v[i] = bv[j];
    }
  }
}

static napi_value thrown(napi_env env, const char *message) {
  napi_throw_range_error(env, "ERR_DEEPSTRUCT_NATIVE", message);
  return NULL;
}

static bool typed(napi_env env, napi_value value, napi_typedarray_type want, void **data, size_t *length) {
  bool is = false;
  napi_typedarray_type type;
  return napi_is_typedarray(env, value, &is) == napi_ok && is && napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) == napi_ok && type == want;
}

#define ROW 10

/* Whether tensor row e's regions lie inside the heap, are aligned, and its entry list names entries of it. */
static bool row_fits(const uint32_t *e, const char *base, size_t bytes) {
  const size_t n = e[0];
  for (int r = 1; r < 8; r++)
    if (e[r] % 4 != 0 || (size_t)e[r] + 4 * n > bytes) return false;
  if (e[9] == 0) return true;
  if (e[8] % 4 != 0 || (size_t)e[8] + 4 * (size_t)e[9] > bytes) return false;
  const int32_t *at = (const int32_t *)(base + e[8]);
  for (size_t j = 0; j < e[9]; j++)
    if (at[j] < 0 || (size_t)at[j] >= n) return false;
  return true;
}

/* Elements (or listed entries) per piece of the pool's job: ~15–30 µs of work, enough that claiming one costs nothing beside it. */
#define PIECE 16384

/*
 * The update as pool pieces: the rows' work (a row's size, or its listed entries' count) laid end to end, `start[r]`
 * where row r's begins, and piece i the range [i·PIECE, (i + 1)·PIECE) of it, across rows where it reaches past one.
 * Every element's update is its own, so which thread runs a piece, and how the rows are cut, changes no bit.
 */
typedef struct {
  const uint32_t *table;
  const size_t *start; /* rows + 1 */
  size_t rows;
  char *base;
  AdamConstants k;
} AdamJob;

/* The part [from, to) of row r's work. */
static void adam_row_part(const AdamJob *job, size_t r, size_t from, size_t to) {
  const uint32_t *e = job->table + ROW * r;
  float *w = (float *)(job->base + e[5]), *m = (float *)(job->base + e[6]), *v = (float *)(job->base + e[7]);
  const float *g = (const float *)(job->base + e[2]);
  if (e[9] == 0) adam(to - from, w + from, g + from, m + from, v + from, job->k);
  else adam_at(to - from, (const int32_t *)(job->base + e[8]) + from, w, g, m, v, job->k);
}

static void adam_piece(void *context, size_t i) {
  const AdamJob *job = context;
  const size_t from = i * PIECE, to = from + PIECE < job->start[job->rows] ? from + PIECE : job->start[job->rows];
  // The first row whose work ends past `from` (binary search: start is ascending).
  size_t low = 0, high = job->rows;
  while (low < high) {
    const size_t mid = (low + high) / 2;
    if (job->start[mid + 1] <= from) low = mid + 1;
    else high = mid;
  }
  for (size_t r = low; r < job->rows && job->start[r] < to; r++) {
    const size_t a = from > job->start[r] ? from - job->start[r] : 0, b = (to < job->start[r + 1] ? to : job->start[r + 1]) - job->start[r];
    if (a < b) adam_row_part(job, r, a, b);
  }
}

/* Row by row: into new tensors, copies of the old ones first (before any piece reads them), then every row's update over the pool. */
static bool adam_rows(const uint32_t *table, size_t rows, char *base, AdamConstants k) {
  size_t *start = malloc(sizeof(size_t) * (rows + 1));
  if (start == NULL) return false;
  start[0] = 0;
  for (size_t r = 0; r < rows; r++) {
    const uint32_t *e = table + ROW * r;
    if (e[5] != e[1]) memcpy(base + e[5], base + e[1], 4 * (size_t)e[0]);
    if (e[6] != e[3]) memcpy(base + e[6], base + e[3], 4 * (size_t)e[0]);
    if (e[7] != e[4]) memcpy(base + e[7], base + e[4], 4 * (size_t)e[0]);
    start[r + 1] = start[r] + (e[9] == 0 ? e[0] : e[9]);
  }
  AdamJob job = {table, start, rows, base, k};
  const size_t pieces = (start[rows] + PIECE - 1) / PIECE;
  if (pieces == 1) adam_piece(&job, 0);
  else pool_run(adam_piece, &job, pieces);
  free(start);
  return true;
}

napi_value deepstruct_adam_step(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc = 3;
  float *heap, *constants;
  uint32_t *table;
  size_t floats, words, count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return thrown(env, "deepstruct native: adamUpdate takes (memory, table, constants)");
  if (!typed(env, argv[0], napi_float32_array, (void **)&heap, &floats) || !typed(env, argv[1], napi_uint32_array, (void **)&table, &words) ||
      !typed(env, argv[2], napi_float32_array, (void **)&constants, &count) || words % ROW != 0 || count != 8)
    return thrown(env, "deepstruct native: adamUpdate needs a Float32Array memory, a Uint32Array table of 10 words per tensor and 8 Float32 constants");
  const AdamConstants k = {constants[0], constants[1], constants[2], constants[3], constants[4], constants[5], constants[6], constants[7]};
  char *base = (char *)heap;
  // Every region is checked before any is written.
  for (size_t t = 0; t < words; t += ROW)
    if (!row_fits(table + t, base, 4 * floats)) {
      char message[160];
      snprintf(message, sizeof message, "deepstruct native: adamUpdate: tensor %zu's regions lie outside the memory, are misaligned, or its entries are not its own", t / ROW);
      return thrown(env, message);
    }
  if (words > 0 && !adam_rows(table, words / ROW, base, k)) return thrown(env, "deepstruct native: adamUpdate: out of memory for its row table");
  return NULL;
}
