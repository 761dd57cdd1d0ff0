// A small SVG line chart of a market's aggregates (display only: floats are fine here).
import { html, type Html } from './dom';
import { formatPrice } from './units';

const WIDTH = 320;
const HEIGHT = 90;
const PAD = { left: 4, right: 4, top: 10, bottom: 14 };

/** `points`: [block, USD per coin as FixedU128], ascending by block. */
export function priceChart(points: Array<[number, bigint]>, label: string): Html {
  if (points.length === 0) return html`<div class="chart empty">no aggregates seen yet</div>`;
  const xs = points.map(([b]) => b);
  const ys = points.map(([, p]) => Number(p / 10n ** 10n) / 1e8);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < y1 * 1e-6) [y0, y1] = [y0 * 0.995, y1 * 1.005 || 1];
  const sx = (x: number) => PAD.left + ((x - x0) / Math.max(1, x1 - x0)) * (WIDTH - PAD.left - PAD.right);
  const sy = (y: number) => PAD.top + (1 - (y - y0) / (y1 - y0)) * (HEIGHT - PAD.top - PAD.bottom);
  const path = points.map(([b], i) => `${i ? 'L' : 'M'}${sx(b).toFixed(1)},${sy(ys[i] ?? 0).toFixed(1)}`).join(' ');
  const max = points.reduce((m, [, p]) => (p > m ? p : m), points[0]?.[1] ?? 0n);
  const min = points.reduce((m, [, p]) => (p < m ? p : m), points[0]?.[1] ?? 0n);
  const last = points[points.length - 1];
  return html`<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${label}" data-points="${points.length}">
    <path d="${path}" fill="none" stroke="currentColor" stroke-width="1.5" />
    ${points.length === 1 && last ? html`<circle cx="${sx(last[0]).toFixed(1)}" cy="${sy(ys[0] ?? 0).toFixed(1)}" r="2" />` : ''}
    <text x="${PAD.left}" y="8" class="axis">max $${formatPrice(max)}</text>
    <text x="${WIDTH - PAD.right}" y="8" class="axis" text-anchor="end">min $${formatPrice(min)}</text>
    <text x="${PAD.left}" y="${HEIGHT - 2}" class="axis">#${x0}</text>
    <text x="${WIDTH - PAD.right}" y="${HEIGHT - 2}" class="axis" text-anchor="end">#${x1} · ${points.length} aggregates</text>
  </svg>`;
}
