/**
 * interleavedWithPeer, the one way every benchmark times itself against a
 * PyTorch peer, with fake sides (no torch, no clock): rounds alternate which
 * side goes first, both sides get the same warm-up and repetitions, and each
 * figure is its least over all rounds.
 */
import { describe, expect, it } from "vitest";
import { interleavedWithPeer, type PeerResult } from "../../bench/peers.js";

/** Fake sides that log what ran, in order, and answer from the given per-round figures. */
function fakes(oursByRound: number[][], peerByRound: Record<string, number>[]) {
  const log: string[] = [];
  let oursRound = 0;
  let peerRound = 0;
  const tasks: Record<string, unknown>[] = [];
  return {
    log,
    tasks,
    sides: {
      ours: (runs: readonly (() => void)[], repeats: number): number[] => {
        log.push(`ours×${repeats}`);
        runs.forEach((run) => run());
        return oursByRound[oursRound++]!;
      },
      peer: (task: Record<string, unknown>): PeerResult => {
        log.push(`peer×${String(task.repeats)}`);
        tasks.push(task);
        return { seconds: peerByRound[peerRound++]!, round: peerRound };
      },
      missing: (): string | undefined => undefined,
    },
  };
}

describe("interleavedWithPeer", () => {
  it("alternates which side goes first and gives both the same warm-up and repetitions", () => {
    const f = fakes([[3], [2], [4], [5]], [{ a: 1 }, { a: 1 }, { a: 1 }, { a: 1 }]);
    interleavedWithPeer([() => undefined], { kind: "fake" }, {}, 4, 7, f.sides);
    expect(f.log).toEqual(["ours×7", "peer×7", "peer×7", "ours×7", "ours×7", "peer×7", "peer×7", "ours×7"]);
    for (const task of f.tasks) expect(task).toMatchObject({ kind: "fake", warmup: 1, repeats: 7, threads: 1 });
  });

  it("takes each figure's least over all rounds, on both sides, and keeps the peer's last answer", () => {
    const f = fakes(
      [
        [0.5, 9],
        [0.3, 8],
        [0.4, 7],
      ],
      [
        { forward: 2, step: 6 },
        { forward: 1, step: 7, plan: 40 },
        { forward: 3, step: 5 },
      ],
    );
    const calls: number[] = [];
    const { ours, peer, result, note } = interleavedWithPeer([() => void calls.push(0), () => void calls.push(1)], { kind: "fake" }, {}, 3, 2, f.sides);
    expect(ours).toEqual([0.3, 7]);
    // A figure the peer gave in one round only keeps that round's value.
    expect(peer).toEqual({ forward: 1, step: 5, plan: 40 });
    expect(result?.round).toBe(3);
    expect(note).toBeUndefined();
    expect(calls).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it("a task's own thread count wins over the default of one", () => {
    const f = fakes([[1]], [{ x: 1 }]);
    interleavedWithPeer([() => undefined], { kind: "fake", threads: 2 }, {}, 1, 1, f.sides);
    expect(f.tasks[0]!.threads).toBe(2);
  });

  it("without torch, times ours alone and says why", () => {
    const f = fakes([[2], [1]], []);
    const { ours, peer, note } = interleavedWithPeer([() => undefined], { kind: "fake" }, {}, 2, 3, { ...f.sides, missing: () => "no torch here" });
    expect(ours).toEqual([1]);
    expect(peer).toBeUndefined();
    expect(note).toBe("no torch here");
    expect(f.log).toEqual(["ours×3", "ours×3"]);
  });

  it("a peer that fails stops being asked, and its figures are dropped", () => {
    const f = fakes([[2], [1], [3]], [{ a: 1 }]);
    let asked = 0;
    const failing = (task: Record<string, unknown>): PeerResult => {
      if (asked++ === 1) throw new Error("peer crashed");
      return f.sides.peer(task);
    };
    const { peer, note } = interleavedWithPeer([() => undefined], { kind: "fake" }, {}, 3, 1, { ...f.sides, peer: failing });
    expect(asked).toBe(2);
    expect(peer).toBeUndefined();
    expect(note).toBe("peer crashed");
  });
});
