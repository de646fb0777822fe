/*
 * Adam over many parameter tensors in one call (runtime/training/fused-adam.ts):
 *
 *   adamStep(memory, table, constants)
 *
 * `memory` a Float32Array over the whole WASM heap; `table` a Uint32Array of
 * 8 words per tensor — its size, then byte offsets of its value, gradient,
 * first and second moment, and of the new value and moments to write;
 * `constants` a Float32Array [beta1, beta2, 1 − beta1, 1 − beta2,
 * 1 − beta1^t, 1 − beta2^t, epsilon, −learningRate]. Each element follows
 * TensorFlow.js's AdamOptimizer op by op, in float32 and without fused
 * multiply-adds, so the results are TensorFlow.js's to the last bit:
 *
 *   m' = m·β1 + g·(1 − β1),  v' = v·β2 + g²·(1 − β2),
 *   w' = (m'/(1 − β1^t)) / (√(v'/(1 − β2^t)) + ε) · (−lr) + w
 */
// No contraction into fused multiply-adds, so the rounding is the ops' (the build passes -fno-math-errno, so sqrtf vectorises).
#pragma GCC optimize("fp-contract=off")
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

napi_value deepstruct_adam_step(napi_env env, napi_callback_info info);

typedef struct {
  float b1, b2, c1, c2, bias1, bias2, eps, rate;
} AdamConstants;

__attribute__((target_clones("avx512f", "avx2", "default"))) static void adam(size_t n, const float *restrict w, const float *restrict g, const float *restrict m,
                                                                               const float *restrict v, float *restrict w2, float *restrict m2, float *restrict v2,
                                                                               AdamConstants k) {
  for (size_t i = 0; i < n; i++) {
    const float first = m[i] * k.b1 + g[i] * k.c1;
    const float second = v[i] * k.b2 + (g[i] * g[i]) * k.c2;
    m2[i] = first;
    v2[i] = second;
    w2[i] = ((first / k.bias1) / (__builtin_sqrtf(second / k.bias2) + k.eps)) * k.rate + w[i];
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

napi_value deepstruct_adam_step(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc = 3;
  float *heap, *constants;
  uint32_t *table;
  size_t floats, words, count;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) return thrown(env, "deepstruct native: adamStep takes (memory, table, constants)");
  if (!typed(env, argv[0], napi_float32_array, (void **)&heap, &floats) || !typed(env, argv[1], napi_uint32_array, (void **)&table, &words) ||
      !typed(env, argv[2], napi_float32_array, (void **)&constants, &count) || words % 8 != 0 || count != 8)
    return thrown(env, "deepstruct native: adamStep needs a Float32Array memory, a Uint32Array table of 8 words per tensor and 8 Float32 constants");
  const AdamConstants k = {constants[0], constants[1], constants[2], constants[3], constants[4], constants[5], constants[6], constants[7]};
  const size_t bytes = 4 * floats;
  // Every region is checked before any is written.
  for (size_t t = 0; t < words; t += 8) {
    const size_t n = table[t];
    for (int r = 1; r < 8; r++)
      if (table[t + r] % 4 != 0 || (size_t)table[t + r] + 4 * n > bytes) {
        char message[160];
        snprintf(message, sizeof message, "deepstruct native: adamStep: tensor %zu's region %d lies outside the memory or is misaligned", t / 8, r);
        return thrown(env, message);
      }
  }
  char *base = (char *)heap;
  for (size_t t = 0; t < words; t += 8) {
    const uint32_t *e = table + t;
    adam(e[0], (float *)(base + e[1]), (float *)(base + e[2]), (float *)(base + e[3]), (float *)(base + e[4]), (float *)(base + e[5]), (float *)(base + e[6]),
         (float *)(base + e[7]), k);
  }
  return NULL;
}
