/**
 * The dense view's two placements (runtime/kernels/dense-view.ts): webgl's
 * gather gives the matrix and gradient the scatter gives (in Node, on the
 * CPU backend), for a kernel whose connections are a partial matrix.
 */
import { describe, expect, it } from "vitest";
import { kernelLayout, tf } from "../../runtime/index.js";
import { denseView } from "../../runtime/kernels/dense-view.js";
import { buildModel } from "../support/models.js";

describe("dense views", () => {
  it("place a partial kernel's connections the same way by gather as by scatter, gradients too", async () => {
    const model = await buildModel("graph g = watts_strogatz(n=40, k=4, p=0.5, seed=3)\nnetwork W { input 6 dense 8 structure g output 3 execution dense }");
    const k = model.spec.kernels.findIndex((_, i) => kernelLayout(model.spec, i).shape.length === 1);
    expect(k).toBeGreaterThanOrEqual(0);
    const layout = kernelLayout(model.spec, k);
    const values = tf.tensor1d(Array.from({ length: layout.count }, (_, e) => Math.sin(e + 1)));
    const weights = tf.randomUniform([layout.usedRows.length, layout.cols], -1, 1, "float32", 5);
    const [scatter, gather] = [denseView(layout, "scatter"), denseView(layout, "gather")];
    expect(Array.from(gather(values).dataSync())).toEqual(Array.from(scatter(values).dataSync()));
    const gradient = (view: typeof scatter) =>
      Array.from(
        tf
          .grad((v: tf.Tensor) => tf.sum(tf.mul(view(v), weights)))(values)
          .dataSync(),
      );
    expect(gradient(gather)).toEqual(gradient(scatter));
    // Every connection lands in the matrix (the check can fail): as many nonzero entries as connections.
    expect(Array.from(gather(values).dataSync()).filter((v) => v !== 0).length).toBe(layout.count);
    scatter.dispose();
    gather.dispose();
  });
});
