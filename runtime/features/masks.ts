/** Reading and writing conv masks (0/1, row-major in the weight's HWIO shape), and the feature layers as the Model describes them. */
import * as tf from "@tensorflow/tfjs-core";
import type { FeatureInfo } from "../model.js";
import type { ConvStore, FeatureStore } from "./store.js";
import { layerOutputShape, type ChannelsFirst } from "./shapes.js";

export function convMask(store: ConvStore): Uint8Array {
  return Uint8Array.from(store.mask.dataSync());
}

/** Replaces a conv's mask (entries already checked to be 0 or 1); weights under a 0 are kept but have no effect. */
export function setConvMask(store: ConvStore, mask: ArrayLike<number>): void {
  const values = tf.tensor4d(Float32Array.from(mask), store.mask.shape, "float32");
  store.mask.assign(values);
  values.dispose();
  store.liveChannels = undefined;
}

/** The conv's output channels with at least one live weight, ascending (read from the mask once per change). */
export function liveChannels(store: ConvStore): readonly number[] {
  if (store.liveChannels !== undefined) return store.liveChannels;
  const channels = store.layer.channels;
  const mask = store.mask.dataSync();
  const live = new Uint8Array(channels);
  for (let k = 0; k < mask.length; k++) if (mask[k] !== 0) live[k % channels] = 1;
  store.liveChannels = Array.from({ length: channels }, (_, c) => c).filter((c) => live[c] === 1);
  return store.liveChannels;
}

export function featureInfos(stores: readonly FeatureStore[]): readonly FeatureInfo[] {
  return Object.freeze(
    stores.map((store): FeatureInfo => {
      if (store.kind === "conv") {
        const [kh, kw, cin, cout] = store.weight.shape;
        return Object.freeze({ name: store.layer.name, kind: "conv", outputShape: store.output, weightShape: [kh, kw, cin, cout] as const });
      }
      if (store.kind === "batchNorm") return Object.freeze({ name: store.layer.name, kind: "batchNorm", outputShape: store.input });
      return Object.freeze({ name: store.layer.name, kind: store.layer.kind, outputShape: layerOutputShape(store.input, store.layer) as ChannelsFirst });
    }),
  );
}
