/**
 * Ctrl-C during `dsc train`. The first SIGINT asks training to stop after the
 * batch in flight, so the last completed epoch's checkpoint is what remains;
 * a second one quits at once — the run folder still holds that checkpoint,
 * since every checkpoint switches it in one rename. Either way the terminal
 * gets its cursor and line wrapping back.
 */
import type { TrainingCallbacks } from "../../runtime/index.js";

/** Shows the cursor and turns line wrapping back on (what a progress bar turns off). */
export const RESTORE_TERMINAL = "\x1b[?25h\x1b[?7h";

export interface InterruptWatch {
  /** Whether Ctrl-C was pressed. */
  readonly requested: boolean;
  /** Stops training at the end of the batch once Ctrl-C was pressed. */
  readonly callbacks: TrainingCallbacks;
  dispose(): void;
}

export function watchInterrupt(say: (text: string) => void, restoreTerminal: () => void): InterruptWatch {
  let requested = false;
  const onSignal = (): void => {
    restoreTerminal();
    if (requested) {
      say("dsc: interrupted again; quitting now (the run folder keeps the last completed epoch)");
      process.exit(130);
    }
    requested = true;
    say("dsc: interrupted; stopping after this batch and keeping the last completed epoch (Ctrl-C again to quit now)");
  };
  process.on("SIGINT", onSignal);
  return {
    get requested() {
      return requested;
    },
    callbacks: {
      onBatchEnd: (_logs, control) => {
        if (requested) control.stop();
      },
    },
    dispose: () => void process.off("SIGINT", onSignal),
  };
}
