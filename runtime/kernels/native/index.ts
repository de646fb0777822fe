/** The optional native part: its state, the dense products and convolutions on it, and its threads. */
export { nativeStatus, type NativeBlas, type NativeStatus } from "./load.js";
export { denseProduct, nativeDenseActive, nativeThreads, setNativeThreads, useNativeDense, type ProductOptions } from "./dense-product.js";
export { nativeGraphActive, useNativeGraph } from "./graph-code.js";
export { useNativeConv } from "./conv-product.js";
