/**
 * The fuse pass plans: the spec carries the kernel plan, made by the same
 * planner the runtime uses, and the runtime runs it where it makes the
 * compiler's choices.
 */
import { describe, expect, it } from "vitest";
import { createNetwork, networkLayout, tf, type NetworkSpec } from "../../runtime/index.js";
import { decodePlan, encodePlan, planNetwork, planOptions, plannedKernels } from "../../runtime/plan/index.js";
import { analyze, networkSpec } from "../../src/index.js";

const source = "graph g = watts_strogatz(n=40, k=4, p=0.5, seed=3)\nnetwork W { input 6 dense 8 structure g output 3 dense 50 }";
const specOf = (text: string): NetworkSpec => networkSpec(analyze(text).plans![0]!);
const x = tf.randomUniform([3, 6], -1, 1, "float32", 2);

describe("the kernel plan in the spec", () => {
  it("is the runtime planner's plan for the cost model's choices, and reads back as it was made", () => {
    const spec = specOf(source);
    expect(spec.plan).toBeDefined();
    const layouts = networkLayout(spec);
    const kinds = [...spec.plan!.kinds].map((k): "dense" | "sparse" => (k === "d" ? "dense" : "sparse"));
    // dense1 is a full dense layer; the structure's depths and dense2 (which reads only the sinks) run sparse, as one graph kernel.
    expect(spec.plan!.kinds).toMatch(/^ds+d$/);
    expect(spec.plan!.steps.map((s) => s.kind)).toEqual(["dense", "graph", "dense"]);
    const made = planNetwork(spec, layouts, kinds);
    const options = planOptions(spec);
    expect(decodePlan(spec.plan!, plannedKernels(spec, layouts, kinds), options.layerSizes, options.layerNorm)).toEqual(made);
    expect(encodePlan(made, options.layerSizes)).toEqual(spec.plan);
  });

  it("is run as it is where the runtime chooses alike, and made again where it does not; both compute the same", async () => {
    const spec = specOf(source);
    const { plan: _plan, ...withoutPlan } = spec;
    const compiled = await createNetwork(spec, { backend: "cpu", seed: 1 });
    const planned = await createNetwork(withoutPlan, { backend: "cpu", seed: 1 });
    const dense = await createNetwork(spec, { backend: "cpu", seed: 1, execution: "dense" });
    expect(compiled.planSource).toBe("compiler");
    expect(planned.planSource).toBe("runtime");
    expect(dense.planSource).toBe("runtime");
    expect(compiled.execution).toEqual(planned.execution);
    expect(Array.from(compiled.predict(x).dataSync())).toEqual(Array.from(planned.predict(x).dataSync()));
    const expected = compiled.predict(x).dataSync();
    dense
      .predict(x)
      .dataSync()
      .forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it("that does not fit the network is refused with the reason", async () => {
    const spec = specOf(source);
    const plan = spec.plan!;
    // Other choices than this machine's: the plan is not used, but made again.
    expect((await createNetwork({ ...spec, plan: { ...plan, kinds: plan.kinds.replace(/s/g, "d") } }, { backend: "cpu" })).planSource).toBe("runtime");
    const swapped = { ...plan, steps: [plan.steps[1]!, plan.steps[0]!, ...plan.steps.slice(2)] };
    await expect(createNetwork({ ...spec, plan: swapped }, { backend: "cpu" })).rejects.toThrow(
      "W: invalid network spec: plan: steps must take the kernels in order; kernel 0 is next, not 1",
    );
    const graph = plan.steps.find((s) => s.kind === "graph")!;
    const noExports = { ...plan, steps: plan.steps.map((s) => (s === graph ? { ...graph, exports: "empty" } : s)) };
    await expect(createNetwork({ ...spec, plan: noExports }, { backend: "cpu" })).rejects.toThrow("invalid network spec: plan:");
  });

  it("is the same bytes in every compile", () => {
    expect(JSON.stringify(specOf(source).plan)).toBe(JSON.stringify(specOf(source).plan));
  });
});
