import { it } from "vitest";
import { bundle, launchChromium, servePage } from "./support.js";
it("dbg", async () => {
  const script = await bundle(`import { tf, useBackend } from "@deepstruct/runtime";
import { createSmallWorld } from "../../examples/web/src/generated/small_world.ts";
globalThis.experiment = async (kind, n) => {
  const log = [];
  const model = await createSmallWorld({ seed: 0, backend: "webgpu" });
  log.push("memory " + JSON.stringify(tf.memory()));
  const t0 = performance.now();
  try {
    if (kind === "predict") { const x = tf.randomUniform([n, 784]); const y = model.predict(x); log.push("sum " + (await tf.sum(y).data())[0]); }
    if (kind === "fit") { const x = tf.randomUniform([n, 784]); const y = tf.tensor1d(Array.from({length: n}, (_, i) => i % 10), "int32");
      await model.fit({ x, y }, { epochs: 1, batchSize: 2, learningRate: 0.001, seed: 0, callbacks: { onBatchEnd: (l) => { log.push(l.batch + ": " + l.loss.toFixed(4) + " " + (performance.now() - t0).toFixed(0) + "ms " + tf.memory().numTensors); } } }); }
  } catch (e) { log.push("error " + e.message); }
  log.push("done " + (performance.now() - t0).toFixed(0) + " ms " + JSON.stringify(tf.memory()));
  return log;
};`);
  const server = await servePage(script, { isolated: false });
  const browser = await launchChromium();
  for (const [kind, n] of (process.env.EXP ?? "fit:10").split(",").map((s) => s.split(":"))) {
    const page = await browser.newPage();
    page.on("crash", () => console.log("CRASH"));
    page.on("console", (m) => console.log("console:", m.text().slice(0, 200)));
    await page.goto(server.url);
    await page.waitForFunction("typeof globalThis.experiment === 'function'");
    console.log(kind, n, await page.evaluate(`globalThis.experiment("${kind}", ${n})`).catch((e) => "evaluate failed " + (e as Error).message.slice(0, 200)));
    await page.close().catch(() => undefined);
  }
  await browser.close(); await server.close();
}, 600000);
