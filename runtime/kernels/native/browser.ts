/**
 * What browser bundles get in place of index.ts (package.json's `browser`
 * field): the native part's names with the answers they give where no addon
 * can load, as index.ts gives them outside Node. Nothing here reaches the
 * addon, so a page carries none of the native glue. Each export is typed as
 * index.ts's, and test/runtime/native-browser.test.ts checks that the two
 * export the same names and answer alike without the addon.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as Native from "./index.js";
import { checkThreadCount, NOT_IN_NODE } from "../native-shared.js";
import { tfjsProduct } from "../tfjs-product.js";

export const nativeStatus: typeof Native.nativeStatus = () => ({ available: false, reason: NOT_IN_NODE });
export const denseProduct: typeof Native.denseProduct = tfjsProduct;
export const nativeDenseActive: typeof Native.nativeDenseActive = () => false;
export const nativeThreads: typeof Native.nativeThreads = () => undefined;
export const setNativeThreads: typeof Native.setNativeThreads = checkThreadCount;
export const nativeDenseLayer: typeof Native.nativeDenseLayer = () => undefined;
export const nativeGraphActive: typeof Native.nativeGraphActive = () => false;
export const withNativeGraph: typeof Native.withNativeGraph = (code) => code;
export const nativeConv: typeof Native.nativeConv = () => undefined;
export const nativeNonFiniteIndex: typeof Native.nativeNonFiniteIndex = () => undefined;
export const nativePasses: typeof Native.nativePasses = () => undefined;
export const adamOptimizer: typeof Native.adamOptimizer = (learningRate, beta1, beta2, epsilon) => new tf.AdamOptimizer(learningRate, beta1, beta2, epsilon);

/** The switches for comparing native and TensorFlow.js kernels in one process: nothing to switch here. */
const noSwitch = (): void => undefined;
export const useNativeDense: typeof Native.useNativeDense = noSwitch;
export const useNativeGraph: typeof Native.useNativeGraph = noSwitch;
export const useNativeConv: typeof Native.useNativeConv = noSwitch;
