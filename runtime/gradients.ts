/**
 * Registers TensorFlow.js's gradient definitions, which training needs.
 *
 * tfjs-core ships them only as unbundled ES modules with extension-less
 * imports, which Node cannot load; the Node bundle of tfjs-layers carries all
 * of them and registers them in tfjs's process-wide gradient registry when it
 * is loaded. We depend on tfjs-layers anyway (dense baselines in benchmarks,
 * reading graphs out of Layers models), so loading it is the cheapest sound way.
 */
import "@tensorflow/tfjs-layers";
