/**
 * `history.svg`: a run's curves per epoch — loss, and accuracy when there are
 * classes — for training and held-out data, as a self-contained SVG a browser
 * opens. Plain text with fixed number formats, so the same history gives the
 * same bytes.
 */
import type { EpochLogs } from "../../runtime/index.js";

interface Series {
  readonly label: string;
  readonly colour: string;
  readonly dashed: boolean;
  readonly points: readonly (readonly [number, number])[];
}

interface Panel {
  readonly title: string;
  readonly series: readonly Series[];
  /** Values as percentages (accuracy) rather than plain numbers. */
  readonly percent: boolean;
}

const WIDTH = 440;
const HEIGHT = 300;
const MARGIN = { left: 60, right: 16, top: 36, bottom: 44 };
const TRAIN = "#1f77b4";
const HELD_OUT = "#d62728";

export function historySvg(title: string, history: readonly EpochLogs[], lossName: string): string {
  const series = (label: string, colour: string, dashed: boolean, value: (e: EpochLogs) => number | undefined): Series => ({
    label,
    colour,
    dashed,
    points: history.flatMap((e) => {
      const v = value(e);
      return v === undefined || !Number.isFinite(v) ? [] : [[e.epoch, v] as const];
    }),
  });
  const panels: Panel[] = [{ title: lossName, percent: false, series: [series("training", TRAIN, false, (e) => e.loss), series("held-out", HELD_OUT, true, (e) => e.valLoss)] }];
  if (history.some((e) => e.accuracy !== undefined)) {
    const asPercent = (v: number | undefined): number | undefined => (v === undefined ? undefined : v * 100);
    panels.push({
      title: "accuracy",
      percent: true,
      series: [series("training", TRAIN, false, (e) => asPercent(e.accuracy)), series("held-out", HELD_OUT, true, (e) => asPercent(e.valAccuracy))],
    });
  }
  const epochs = Math.max(1, ...history.map((e) => e.epoch));
  const body = panels.map((panel, i) => `<g transform="translate(${i * WIDTH},24)">\n${panelSvg(panel, epochs)}</g>`).join("\n");
  const width = WIDTH * panels.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT + 24}" viewBox="0 0 ${width} ${HEIGHT + 24}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    body,
    "</svg>",
    "",
  ].join("\n");
}

function panelSvg(panel: Panel, epochs: number): string {
  const values = panel.series.flatMap((s) => s.points.map((p) => p[1]));
  const [low, high] = valueRange(values, panel.percent);
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (epoch: number): number => MARGIN.left + (epochs === 1 ? plotWidth / 2 : ((epoch - 1) / (epochs - 1)) * plotWidth);
  const y = (value: number): number => MARGIN.top + (1 - (value - low) / (high - low)) * plotHeight;
  const lines: string[] = [`<text x="${WIDTH / 2}" y="20" text-anchor="middle">${escapeXml(panel.title)}</text>`];
  for (const tick of ticks(low, high)) {
    const ty = fixed(y(tick));
    lines.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${ty}" y2="${ty}" stroke="#ddd"/>`);
    lines.push(`<text x="${MARGIN.left - 6}" y="${ty}" text-anchor="end" dominant-baseline="middle">${label(tick, panel.percent)}</text>`);
  }
  for (const epoch of ticks(1, epochs).filter(Number.isInteger)) {
    lines.push(`<text x="${fixed(x(epoch))}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${epoch}</text>`);
  }
  lines.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 8}" text-anchor="middle">epoch</text>`);
  lines.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#888"/>`);
  panel.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const dash = s.dashed ? ` stroke-dasharray="6 3"` : "";
    const path = s.points.map(([e, v]) => `${fixed(x(e))},${fixed(y(v))}`).join(" ");
    lines.push(`<polyline points="${path}" fill="none" stroke="${s.colour}" stroke-width="2"${dash}/>`);
    for (const [e, v] of s.points) lines.push(`<circle cx="${fixed(x(e))}" cy="${fixed(y(v))}" r="2.5" fill="${s.colour}"/>`);
    // Where the curves are not: losses fall away from the top right, accuracies rise away from the bottom right.
    const ly = panel.percent ? HEIGHT - MARGIN.bottom - 14 - (panel.series.length - 1 - i) * 16 : MARGIN.top + 14 + i * 16;
    lines.push(`<line x1="${WIDTH - MARGIN.right - 96}" x2="${WIDTH - MARGIN.right - 76}" y1="${ly}" y2="${ly}" stroke="${s.colour}" stroke-width="2"${dash}/>`);
    lines.push(`<text x="${WIDTH - MARGIN.right - 70}" y="${ly}" dominant-baseline="middle">${s.label}</text>`);
  });
  return `${lines.join("\n")}\n`;
}

/** The span the axis shows: the values with a little room, accuracy clamped to [0, 100]. */
function valueRange(values: readonly number[], percent: boolean): [number, number] {
  if (values.length === 0) return percent ? [0, 100] : [0, 1];
  let low = Math.min(...values);
  let high = Math.max(...values);
  const pad = high > low ? (high - low) * 0.08 : Math.max(Math.abs(high) * 0.1, 0.5);
  low -= pad;
  high += pad;
  if (percent) [low, high] = [Math.max(0, low), Math.min(100, high)];
  else if (Math.min(...values) >= 0) low = Math.max(0, low);
  return [low, high];
}

/** About five round ticks (1, 2 or 5 times a power of ten) within [low, high]. */
export function ticks(low: number, high: number): number[] {
  if (!(high > low)) return [low];
  const raw = (high - low) / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = Math.ceil(low / step) * step; t <= high + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

function label(value: number, percent: boolean): string {
  if (percent) return `${Number(value.toFixed(1))}%`;
  return Math.abs(value) >= 1000 || (Math.abs(value) < 0.01 && value !== 0) ? value.toExponential(1) : String(Number(value.toPrecision(4)));
}

const fixed = (v: number): string => v.toFixed(1);

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
