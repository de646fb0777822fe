/**
 * Registers TensorFlow.js's gradient definitions, which training needs.
 *
 * They come from tfjs-core itself, through the package's `#tfjs-gradients`
 * import (package.json): bundlers building for browsers take the `browser`
 * condition, tfjs-core's own ES modules (`dist/register_all_gradients.js`),
 * which share the app's tfjs-core; Node takes the default, the same modules
 * bundled into runtime/gradients/tfjs-gradients.node.js (see
 * scripts/gradients-bundle.ts for why Node cannot load them directly).
 * Either registers into tfjs's process-wide gradient registry on load.
 */
import "#tfjs-gradients";
