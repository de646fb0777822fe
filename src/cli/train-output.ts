/**
 * What `dsc train` prints: a line per epoch on stdout, a progress bar on
 * stderr (only on a terminal), and the closing table and summary. Classes are
 * reported by accuracy; regression targets by their mean squared error.
 */
import cliProgress from "cli-progress";
import type { EpochLogs, TrainingCallbacks } from "../../runtime/index.js";
import type { CliIo } from "./main.js";
import type { TrainingReport } from "./train.js";

export const percent = (v: number | undefined | null): string => (v === undefined || v === null ? "—" : `${(v * 100).toFixed(2)}%`);
export const count = (v: number): string => v.toLocaleString("en-US");

/** Each kind's live connections, `conv 2,000 + dense 10,345`, when a network has several kinds of prunable weight; undefined otherwise. */
export function kindShares(byKind: EpochLogs["liveByKind"]): string | undefined {
  const kinds = Object.entries(byKind ?? {});
  return kinds.length < 2 ? undefined : kinds.map(([kind, n]) => `${kind} ${count(n)}`).join(" + ");
}

/** `live 12,345` for one kind of weight, `live 12,345 = conv 2,000 + dense 10,345` for several. */
function liveText(logs: EpochLogs): string {
  const shares = kindShares(logs.liveByKind);
  return `live ${count(logs.liveConnections)}${shares === undefined ? "" : ` = ${shares}`}`;
}

/** `held-out 93.20%` for classes, `held-out mse 0.8123` for regression. */
function heldOut(logs: EpochLogs): string {
  if (logs.valAccuracy !== undefined) return `held-out ${percent(logs.valAccuracy)}`;
  return logs.valLoss === undefined ? "held-out —" : `held-out mse ${logs.valLoss.toFixed(4)}`;
}

export function epochLine(logs: EpochLogs, epochs: number): string {
  return (
    `epoch ${logs.epoch}/${epochs}  loss ${logs.loss.toFixed(4)}  ${logs.accuracy === undefined ? "" : `accuracy ${percent(logs.accuracy)}  `}` +
    `${heldOut(logs)}  ${liveText(logs)} (sparsity ${percent(logs.sparsity)})` +
    `${logs.pruned > 0 ? `, ${count(logs.pruned)} pruned` : ""}` +
    `${logs.regrown > 0 ? `, ${count(logs.dropped)} dropped and regrown` : ""}  ${logs.seconds.toFixed(1)} s`
  );
}

export function epochPrinter(epochs: number, io: CliIo): TrainingCallbacks {
  return { onEpochEnd: (logs) => io.out(epochLine(logs, epochs)) };
}

export interface ProgressBar {
  readonly callbacks: TrainingCallbacks;
  /** Clears the bar if one is drawn; safe to call at any time. */
  stop(): void;
  /** Clears the bar for good: later batches draw nothing (after Ctrl-C, while the batch in flight ends). */
  close(): void;
}

/**
 * A bar per epoch on stderr, so stdout stays a clean log when redirected. It
 * must be listed before the epoch printer: it clears its line at the epoch's
 * end, before the epoch's line is printed, so the two never share a line.
 */
export function progressBar(stream: NodeJS.WriteStream): ProgressBar {
  const bar = new cliProgress.SingleBar(
    { format: "  epoch {epoch} [{bar}] {value}/{total} batches  loss {loss}", stream, clearOnComplete: true, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let drawn = false;
  let closed = false;
  const stop = (): void => {
    if (drawn) bar.stop();
    drawn = false;
  };
  return {
    stop,
    close: () => {
      closed = true;
      stop();
    },
    callbacks: {
      onBatchEnd: (logs) => {
        if (closed) return;
        if (!drawn) {
          bar.start(logs.batches, 0, { epoch: logs.epoch, loss: "…" });
          drawn = true;
        }
        bar.update(logs.batch, { loss: logs.loss.toFixed(4) });
      },
      onEpochEnd: stop,
    },
  };
}

export function summary(report: TrainingReport, out: string): string {
  const classes = report.testAccuracy !== null;
  const header = classes
    ? ["| epoch | loss | accuracy | held-out accuracy | live connections | sparsity | seconds |", "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    : ["| epoch | loss (mse) | held-out mse | live connections | sparsity | seconds |", "| ---: | ---: | ---: | ---: | ---: | ---: |"];
  const rows = report.history.map((e) => {
    const scores = classes ? [percent(e.accuracy), percent(e.valAccuracy)] : [e.valLoss === undefined ? "—" : e.valLoss.toFixed(4)];
    return `| ${[e.epoch, e.loss.toFixed(4), ...scores, count(e.liveConnections), percent(e.sparsity), e.seconds.toFixed(1)].join(" | ")} |`;
  });
  const result = classes ? `held-out accuracy ${percent(report.testAccuracy)} (loss ${report.testLoss.toFixed(4)})` : `held-out mse ${report.testLoss.toFixed(4)}`;
  const ending = report.interrupted ? `interrupted after epoch ${report.epochs}` : `trained in ${report.trainSeconds.toFixed(1)} s`;
  return [
    "",
    ...header,
    ...rows,
    "",
    `${report.network}: ${result} on ${count(report.testSamples)} samples, ${count(report.liveConnections)} of ${count(report.totalConnections)} connections live, ${ending}`,
    `run: ${out} (model.json and the weight file it names, report.json, history.svg)`,
  ].join("\n");
}
