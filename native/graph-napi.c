/*
 * Node-API entry points of the native graph kernel (graph.c):
 *
 *   graphForward(memory, xt, r, h, n, bp, weff, bias, start, source, activated, kind[, bands])
 *   graphBackward(memory, g, h, xt, r, n, bp, weff, start, source, activated, kind, dxt, dweff, db, needInput[, bands])
 *   graphBackwardSeeded(…the same…, seeds, seedCount[, bands]) — g's rows but the seeds' (neurons, int32) and dxt unset (graph.h)
 *   graphTransposeIn(memory, x, batch, cols, xt, bp)
 *   graphPickRows(memory, h, bp, rows, count, out, batch, add) — add 0, 1, or 2: zero the rows, then add
 *   graphThreads(edges, bp) — the threads the forward and backward run on, [forward, backward]
 *   graphBandWidth(rows, bp) — the samples per band for rows (inputs and neurons) of bp samples (graph_band_width)
 *
 * the arguments of graph.wat's `forward` and `backward`: `memory` a
 * Float32Array over the whole WASM heap, every pointer a byte offset into
 * it; `bands` (default 1) the bands of bp samples that xt, h, g and dxt
 * hold one after another (graph.h), which graph.wat does not take. Every
 * region the kernel touches is checked to lie inside `memory` (and to be
 * 4-byte aligned) before a byte is read.
 */
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "graph.h"

napi_value deepstruct_graph_forward(napi_env env, napi_callback_info info);
napi_value deepstruct_graph_backward(napi_env env, napi_callback_info info);
napi_value deepstruct_graph_backward_seeded(napi_env env, napi_callback_info info);
napi_value deepstruct_graph_transpose_in(napi_env env, napi_callback_info info);
napi_value deepstruct_graph_pick_rows(napi_env env, napi_callback_info info);
napi_value deepstruct_graph_threads(napi_env env, napi_callback_info info);
napi_value deepstruct_graph_band_width(napi_env env, napi_callback_info info);

typedef struct {
  char *base;
  size_t bytes;
  bool ok;
} Memory;

static napi_value thrown(napi_env env, const char *message) {
  napi_throw_range_error(env, "ERR_DEEPSTRUCT_NATIVE", message);
  return NULL;
}

/*
 * The memory and `count` unsigned words after it, the last `optional` of them 0 where not given; false (an exception
 * pending) when they are not that.
 */
static bool arguments(napi_env env, napi_callback_info info, size_t count, size_t optional, Memory *memory, uint32_t *words, const char *name) {
  napi_value argv[20];
  size_t argc = 20;
  char message[160];
  bool typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc > count + 1 || argc + optional < count + 1) {
    if (optional == 0)
      snprintf(message, sizeof message, "deepstruct native: %s takes %zu arguments, got %zu", name, count + 1, argc);
    else
      snprintf(message, sizeof message, "deepstruct native: %s takes %zu to %zu arguments, got %zu", name, count + 1 - optional, count + 1, argc);
    thrown(env, message);
    return false;
  }
  for (size_t i = argc - 1; i < count; i++) words[i] = 0;
  count = argc - 1;
  if (napi_is_typedarray(env, argv[0], &typed) != napi_ok || !typed || napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float32_array) {
    snprintf(message, sizeof message, "deepstruct native: %s: memory must be a Float32Array", name);
    thrown(env, message);
    return false;
  }
  memory->base = data;
  memory->bytes = 4 * length;
  for (size_t i = 0; i < count; i++) {
    if (napi_get_value_uint32(env, argv[i + 1], &words[i]) != napi_ok) {
      snprintf(message, sizeof message, "deepstruct native: %s: argument %zu must be a non-negative integer", name, i + 1);
      thrown(env, message);
      return false;
    }
  }
  return true;
}

/* A pointer to `floats` 4-byte words at byte offset `at`, or NULL (memory.ok cleared) when they do not fit. */
static void *region(Memory *memory, uint32_t at, size_t floats) {
  if (at % 4 != 0 || (size_t)at + 4 * floats > memory->bytes) {
    memory->ok = false;
    return NULL;
  }
  return memory->base + at;
}

/* The structure's start (n + 1 words) and source (start[n] words), checked: starts ascend, each source is an input or an earlier neuron. */
static bool structure(Memory *memory, GraphArgs *a, uint32_t start, uint32_t source) {
  a->start = region(memory, start, (size_t)a->n + 1);
  if (a->start == NULL || a->start[0] != 0) return false;
  for (int32_t v = 0; v < a->n; v++)
    if (a->start[v + 1] < a->start[v]) return false;
  a->source = region(memory, source, (size_t)a->start[a->n]);
  if (a->source == NULL) return false;
  for (int32_t v = 0; v < a->n; v++)
    for (int32_t q = a->start[v]; q < a->start[v + 1]; q++)
      if (a->source[q] < 0 || a->source[q] >= a->r + v) return false;
  return true;
}

/* Floats in `rows` rows of a's samples: bp each, in every band. */
static size_t rows_of(const GraphArgs *a, int32_t rows) { return (size_t)rows * a->bp * a->bands; }

/* The `bands` argument: 0 where not given, which is one band. */
static size_t bands_given(uint32_t word) { return word > 1 ? word : 1; }

/* The regions both directions share: xt, h, weff (with the structure checked first, for the edge count). */
static bool shared(Memory *memory, GraphArgs *a, uint32_t xt, uint32_t h, uint32_t weff, uint32_t start, uint32_t source) {
  if (a->bp % 16 != 0 || !structure(memory, a, start, source)) return false;
  a->xt = region(memory, xt, rows_of(a, a->r));
  a->h = region(memory, h, rows_of(a, a->n));
  a->weff = region(memory, weff, (size_t)a->start[a->n]);
  return memory->ok;
}

static napi_value invalid(napi_env env, const char *name) {
  char message[160];
  snprintf(message, sizeof message, "deepstruct native: %s: a region lies outside the memory, is misaligned, or the structure is not in topological order", name);
  return thrown(env, message);
}

napi_value deepstruct_graph_forward(napi_env env, napi_callback_info info) {
  Memory memory = {0};
  uint32_t w[12];
  if (!arguments(env, info, 12, 1, &memory, w, "graphForward")) return NULL;
  memory.ok = true;
  GraphArgs a = {0};
  a.r = (int32_t)w[1];
  a.n = (int32_t)w[3];
  a.bp = w[4];
  a.activated = (int32_t)w[9];
  a.kind = (int32_t)w[10];
  a.bands = bands_given(w[11]);
  if (!shared(&memory, &a, w[0], w[2], w[5], w[7], w[8])) return invalid(env, "graphForward");
  a.bias = region(&memory, w[6], (size_t)a.n);
  if (!memory.ok) return invalid(env, "graphForward");
  graph_forward(&a);
  return NULL;
}

/* graphBackward's 15 arguments after the memory, and with `seeded` graphBackwardSeeded's two more: seeds, seedCount. */
static napi_value backward(napi_env env, napi_callback_info info, bool seeded) {
  const char *name = seeded ? "graphBackwardSeeded" : "graphBackward";
  Memory memory = {0};
  uint32_t w[18];
  if (!arguments(env, info, seeded ? 18 : 16, 1, &memory, w, name)) return NULL;
  memory.ok = true;
  GraphArgs a = {0};
  a.r = (int32_t)w[3];
  a.n = (int32_t)w[4];
  a.bp = w[5];
  a.activated = (int32_t)w[9];
  a.kind = (int32_t)w[10];
  a.need_input = w[14] != 0;
  a.bands = bands_given(w[seeded ? 17 : 15]);
  if (!shared(&memory, &a, w[2], w[1], w[6], w[7], w[8])) return invalid(env, "graphBackward");
  a.g = region(&memory, w[0], rows_of(&a, a.n));
  a.dxt = a.need_input ? region(&memory, w[11], rows_of(&a, a.r)) : NULL;
  a.dweff = region(&memory, w[12], (size_t)a.start[a.n]);
  a.db = region(&memory, w[13], (size_t)a.n);
  if (seeded) {
    a.seed_count = (int32_t)w[16];
    a.seeds = region(&memory, w[15], w[16]);
  }
  if (!memory.ok) return invalid(env, name);
  for (int32_t j = 0; j < a.seed_count; j++)
    if (a.seeds[j] < 0 || a.seeds[j] >= a.n) {
      char message[160];
      snprintf(message, sizeof message, "deepstruct native: %s: seed %d is %d, not one of the %d neurons", name, j, a.seeds[j], a.n);
      return thrown(env, message);
    }
  if (!graph_backward(&a)) return thrown(env, seeded ? "deepstruct native: graphBackwardSeeded: out of memory for its working buffers" : "deepstruct native: graphBackward: out of memory for its working buffers");
  return NULL;
}

napi_value deepstruct_graph_backward(napi_env env, napi_callback_info info) { return backward(env, info, false); }
napi_value deepstruct_graph_backward_seeded(napi_env env, napi_callback_info info) { return backward(env, info, true); }

napi_value deepstruct_graph_transpose_in(napi_env env, napi_callback_info info) {
  Memory memory = {0};
  uint32_t w[5];
  if (!arguments(env, info, 5, 0, &memory, w, "graphTransposeIn")) return NULL;
  memory.ok = true;
  const float *x = region(&memory, w[0], (size_t)w[1] * w[2]);
  float *xt = region(&memory, w[3], (size_t)w[2] * w[4]);
  if (!memory.ok || w[4] < w[1]) return invalid(env, "graphTransposeIn");
  graph_transpose_in(x, w[1], w[2], xt, w[4]);
  return NULL;
}

napi_value deepstruct_graph_pick_rows(napi_env env, napi_callback_info info) {
  Memory memory = {0};
  uint32_t w[7];
  if (!arguments(env, info, 7, 0, &memory, w, "graphPickRows")) return NULL;
  memory.ok = true;
  const int32_t *rows = region(&memory, w[2], w[3]);
  float *out = region(&memory, w[4], (size_t)w[5] * w[3]);
  if (!memory.ok || w[5] > w[1] || w[6] > 2) return invalid(env, "graphPickRows");
  int32_t highest = -1;
  for (uint32_t j = 0; j < w[3]; j++) {
    if (rows[j] < 0) return invalid(env, "graphPickRows");
    if (rows[j] > highest) highest = rows[j];
  }
  float *h = region(&memory, w[0], (size_t)(highest + 1) * w[1]);
  if (!memory.ok) return invalid(env, "graphPickRows");
  graph_pick_rows(h, w[1], rows, w[3], out, w[5], (int)w[6]);
  return NULL;
}

napi_value deepstruct_graph_threads(napi_env env, napi_callback_info info) {
  napi_value argv[2], result, count;
  size_t argc = 2;
  uint32_t edges = 0, bp = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 || napi_get_value_uint32(env, argv[0], &edges) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &bp) != napi_ok)
    return thrown(env, "deepstruct native: graphThreads takes (edges, bp), two non-negative integers");
  if (napi_create_array_with_length(env, 2, &result) != napi_ok) return NULL;
  for (uint32_t i = 0; i < 2; i++) {
    if (napi_create_int32(env, graph_threads(edges, bp), &count) != napi_ok || napi_set_element(env, result, i, count) != napi_ok) return NULL;
  }
  return result;
}

napi_value deepstruct_graph_band_width(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  size_t argc = 2;
  uint32_t rows = 0, bp = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 || napi_get_value_uint32(env, argv[0], &rows) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &bp) != napi_ok || bp % 16 != 0)
    return thrown(env, "deepstruct native: graphBandWidth takes (rows, bp), two non-negative integers, bp a multiple of 16");
  if (napi_create_uint32(env, (uint32_t)graph_band_width(rows, bp), &result) != napi_ok) return NULL;
  return result;
}
