/**
 * A canvas to draw a digit on with mouse, pen or finger, read back as MNIST
 * reads digits: 28 × 28 grey values in [0, 1], white on black, the drawing
 * scaled into the central 20 × 20 box and centred on its centre of mass.
 */
export class DrawPad {
  private drawing = false;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.clear();
    canvas.addEventListener("pointerdown", (event) => {
      this.drawing = true;
      this.stroke(event);
    });
    canvas.addEventListener("pointermove", (event) => this.drawing && this.stroke(event));
    for (const end of ["pointerup", "pointerleave"]) canvas.addEventListener(end, () => (this.drawing = false));
  }

  clear(): void {
    const context = this.canvas.getContext("2d")!;
    context.fillStyle = "#000";
    context.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  private stroke(event: PointerEvent): void {
    const context = this.canvas.getContext("2d")!;
    const box = this.canvas.getBoundingClientRect();
    const scale = this.canvas.width / box.width;
    context.fillStyle = "#fff";
    context.beginPath();
    context.arc((event.clientX - box.left) * scale, (event.clientY - box.top) * scale, this.canvas.width / 18, 0, 2 * Math.PI);
    context.fill();
  }

  /** The drawing as 784 values in [0, 1], or undefined when nothing is drawn. */
  pixels(): Float32Array | undefined {
    const { width, height } = this.canvas;
    const image = this.canvas.getContext("2d")!.getImageData(0, 0, width, height).data;
    let [left, top, right, bottom] = [width, height, -1, -1];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (image[(y * width + x) * 4]! < 128) continue;
        [left, top, right, bottom] = [Math.min(left, x), Math.min(top, y), Math.max(right, x), Math.max(bottom, y)];
      }
    }
    if (right < 0) return undefined;
    const size = Math.max(right - left, bottom - top) + 1;
    const small = document.createElement("canvas");
    small.width = small.height = 28;
    const context = small.getContext("2d")!;
    context.fillStyle = "#000";
    context.fillRect(0, 0, 28, 28);
    context.drawImage(
      this.canvas,
      left,
      top,
      right - left + 1,
      bottom - top + 1,
      4 + (20 * (size - (right - left + 1))) / (2 * size),
      4 + (20 * (size - (bottom - top + 1))) / (2 * size),
      (20 * (right - left + 1)) / size,
      (20 * (bottom - top + 1)) / size,
    );
    const grey = context.getImageData(0, 0, 28, 28).data;
    return centred(Float32Array.from({ length: 784 }, (_, i) => grey[i * 4]! / 255));
  }
}

/** Shifts a 28 × 28 image so its centre of mass is at the centre, as MNIST's digits are. */
function centred(pixels: Float32Array): Float32Array {
  let [mass, cx, cy] = [0, 0, 0];
  pixels.forEach((value, i) => {
    mass += value;
    cx += value * (i % 28);
    cy += value * Math.floor(i / 28);
  });
  const [dx, dy] = [Math.round(13.5 - cx / mass), Math.round(13.5 - cy / mass)];
  const out = new Float32Array(784);
  pixels.forEach((value, i) => {
    const [x, y] = [(i % 28) + dx, Math.floor(i / 28) + dy];
    if (x >= 0 && x < 28 && y >= 0 && y < 28) out[y * 28 + x] = value;
  });
  return out;
}
