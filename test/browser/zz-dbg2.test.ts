import { it } from "vitest";
import { bundle, launchChromium, servePage } from "./support.js";
it("dbg", async () => {
  const script = await bundle(`import { tf, useBackend } from "@deepstruct/runtime";
globalThis.readLoop = async (n) => { await useBackend("webgpu"); const out = [];
  for (let i = 0; i < n; i++) { const t = tf.tidy(() => tf.sum(tf.matMul(tf.fill([64, 64], i + 1), tf.ones([64, 64])))); out.push((await t.data())[0] + " vs " + t.dataSync()[0]); t.dispose(); }
  return out; };`);
  const server = await servePage(script, { isolated: false });
  const browser = await launchChromium();
  const page = await browser.newPage();
  page.on("console", (m) => console.log("console:", m.text().slice(0, 200)));
  await page.goto(server.url);
  await page.waitForFunction("typeof globalThis.readLoop === 'function'");
  console.log(await page.evaluate(`globalThis.readLoop(3)`));
  await browser.close(); await server.close();
}, 600000);
