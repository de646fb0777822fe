/** A live chart of training: the loss of every batch and the held-out accuracy when measured, on one canvas. */
export class LiveChart {
  private readonly losses: number[] = [];
  private readonly accuracies: { readonly step: number; readonly value: number }[] = [];

  constructor(private readonly canvas: HTMLCanvasElement) {}

  addLoss(loss: number): void {
    this.losses.push(loss);
    this.draw();
  }

  addAccuracy(accuracy: number): void {
    this.accuracies.push({ step: this.losses.length, value: accuracy });
    this.draw();
  }

  private draw(): void {
    const context = this.canvas.getContext("2d");
    if (context === null) return;
    const { width, height } = this.canvas;
    const pad = 28;
    context.clearRect(0, 0, width, height);
    context.strokeStyle = "#999";
    context.strokeRect(pad, 8, width - pad - 8, height - pad - 8);
    const steps = Math.max(this.losses.length, 2);
    const x = (step: number): number => pad + ((width - pad - 8) * step) / (steps - 1);
    const top = Math.max(...this.losses, 1e-6);
    const y = (fraction: number): number => height - pad - (height - pad - 16) * fraction;
    this.line(
      context,
      "#d62728",
      this.losses.map((loss, step) => [x(step), y(loss / top)]),
    );
    this.line(
      context,
      "#1f77b4",
      this.accuracies.map(({ step, value }) => [x(Math.max(step - 1, 0)), y(value)]),
    );
    context.fillStyle = "#333";
    context.font = "12px sans-serif";
    const lastLoss = this.losses.at(-1);
    const lastAccuracy = this.accuracies.at(-1)?.value;
    context.fillText(`loss ${lastLoss?.toFixed(3) ?? "–"}  (red, scaled to its maximum ${top.toFixed(2)})`, pad + 6, 24);
    context.fillText(`held-out accuracy ${lastAccuracy === undefined ? "–" : `${(lastAccuracy * 100).toFixed(1)}%`}  (blue, 0–100%)`, pad + 6, 40);
    context.fillText(`${this.losses.length} batches`, pad, height - 8);
  }

  private line(context: CanvasRenderingContext2D, colour: string, points: readonly (readonly [number, number])[]): void {
    if (points.length === 0) return;
    context.strokeStyle = colour;
    context.lineWidth = 2;
    context.beginPath();
    points.forEach(([px, py], i) => (i === 0 ? context.moveTo(px, py) : context.lineTo(px, py)));
    context.stroke();
  }
}
