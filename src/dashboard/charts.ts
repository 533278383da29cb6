import { html, type Child, type Html } from './html.js';

/**
 * Charts drawn on the server as inline SVG: stacked bars, lines and bars with axes, ticks, a
 * legend, `role="img"` with a title and description, and each value in `data-*` attributes. No
 * script and no style attribute (the dashboard's CSP allows neither): colours are SVG
 * presentation attributes. Pages put the same figures in a table beside each chart.
 */

/**
 * Persona colours, fixed by persona number (1 → the first; they repeat past eight): the
 * Okabe–Ito palette, chosen to stay apart for the common colour-vision deficiencies, with its
 * black and yellow swapped for darker tones that read on white.
 */
const PERSONA_PALETTE = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#d55e00',
  '#56b4e9',
  '#7b3fb5',
  '#8a7a00',
];
export const NO_PERSONA_COLOUR = '#8c8c8c';
/** The whole segment, when a chart shows it beside its personas. */
export const SEGMENT_COLOUR = '#1d2230';

export function personaColour(persona: number | 'none'): string {
  return persona === 'none' ? NO_PERSONA_COLOUR : PERSONA_PALETTE[(persona - 1) % PERSONA_PALETTE.length]!;
}

export interface Series {
  name: string;
  colour: string;
  /** One per x label; null: no value there (a line breaks). */
  values: readonly (number | null)[];
  dashed?: boolean;
}

export interface ChartSpec {
  /** The figure's id; its title and description get `<id>-title` and `<id>-desc`. */
  id: string;
  title: string;
  /** What the chart shows, for screen readers (the table beside it has the figures). */
  description: string;
  x: readonly string[];
  series: readonly Series[];
  /** Tick and tooltip text of a value. */
  format: (value: number) => string;
  /** The y axis's top at least (e.g. 1 for shares); otherwise from the data. */
  yMax?: number;
}

const WIDTH = 640;
const HEIGHT = 280;
const LEFT = 60;
const RIGHT = 12;
const TOP = 12;
const BOTTOM = 44;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PLOT_H = HEIGHT - TOP - BOTTOM;
const BASE = TOP + PLOT_H;
/** At most this many x labels are written (every k-th label when there are more). */
const MAX_X_LABELS = 8;
const TEXT = '#5b6275';
const GRID = '#dfe3ec';

/** A value as an attribute: rounded so floating-point noise does not show. */
export function attrNumber(value: number): string {
  return String(Math.round(value * 1e6) / 1e6);
}

const px = (value: number) => String(Math.round(value * 10) / 10);

/** Tick values from 0 to a round number at or above `max`: steps of 1, 2, 2.5 or 5 × 10^k. */
export function niceTicks(max: number, target = 4): number[] {
  const top = max > 0 && Number.isFinite(max) ? max : 1;
  const raw = top / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const count = Math.ceil(top / step - 1e-9);
  return Array.from({ length: count + 1 }, (_, i) => Math.round(i * step * 1e9) / 1e9);
}

function yAxis(ticks: readonly number[], format: ChartSpec['format']): Html {
  const top = ticks[ticks.length - 1]!;
  return html`<g class="y-axis">
    ${ticks.map((t) => {
      const y = px(BASE - (t / top) * PLOT_H);
      return html`<line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${y}" y2="${y}" stroke="${GRID}" />
        <text x="${LEFT - 6}" y="${y}" dy="0.32em" text-anchor="end" font-size="11" fill="${TEXT}">
          ${format(t)}
        </text>`;
    })}
  </g>`;
}

/** X labels under their positions, thinned to at most MAX_X_LABELS. */
function xAxis(labels: readonly string[], at: (i: number) => number): Html {
  const every = Math.ceil(labels.length / MAX_X_LABELS);
  return html`<g class="x-axis">
    <line x1="${LEFT}" x2="${LEFT + PLOT_W}" y1="${BASE}" y2="${BASE}" stroke="${TEXT}" />
    ${labels.map((label, i) =>
      i % every === 0
        ? html`<text x="${px(at(i))}" y="${BASE + 16}" text-anchor="middle" font-size="11" fill="${TEXT}">
            ${label}
          </text>`
        : '',
    )}
  </g>`;
}

function legend(series: readonly Pick<Series, 'name' | 'colour' | 'dashed'>[]): Html {
  return html`<ul class="legend">
    ${series.map(
      (s) =>
        html`<li>
          <svg width="14" height="14" aria-hidden="true" focusable="false">
            <rect width="14" height="14" rx="2" fill="${s.colour}" />
          </svg>
          ${s.name}${s.dashed ? ' (dashed)' : ''}
        </li>`,
    )}
  </ul>`;
}

function frame(
  spec: Pick<ChartSpec, 'id' | 'title' | 'description'>,
  kind: string,
  body: Child,
  key: Html,
): Html {
  return html`<figure class="chart" id="${spec.id}">
    <figcaption aria-hidden="true">${spec.title}</figcaption>
    <svg
      viewBox="0 0 ${WIDTH} ${HEIGHT}"
      width="${WIDTH}"
      height="${HEIGHT}"
      role="img"
      aria-labelledby="${spec.id}-title ${spec.id}-desc"
      data-chart="${kind}"
    >
      <title id="${spec.id}-title">${spec.title}</title>
      <desc id="${spec.id}-desc">${spec.description}</desc>
      ${body}
    </svg>
    ${key}
  </figure>`;
}

/** One bar (or a stacked piece) with its value in `data-*` and a tooltip; `x`: its x label, if any. */
function bar(
  left: number,
  top: number,
  width: number,
  height: number,
  series: Pick<Series, 'name' | 'colour'>,
  value: number,
  format: ChartSpec['format'],
  x?: string,
): Html {
  return html`<rect
    x="${px(left)}"
    y="${px(top)}"
    width="${px(width)}"
    height="${px(height)}"
    fill="${series.colour}"
    data-series="${series.name}"
    ${x === undefined ? '' : html`data-x="${x}"`}
    data-value="${attrNumber(value)}"
    ><title>${series.name}${x === undefined ? '' : `, ${x}`}: ${format(value)}</title></rect
  >`;
}

function topOf(values: Iterable<number>, floor = 0): number[] {
  let max = floor;
  for (const v of values) if (v > max) max = v;
  return niceTicks(max);
}

/** One bar per x label, its series stacked bottom to top in the given order. */
export function stackedBarChart(spec: ChartSpec): Html {
  const totals = spec.x.map((_, i) => spec.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const ticks = topOf(totals, spec.yMax);
  const top = ticks[ticks.length - 1]!;
  const band = PLOT_W / Math.max(spec.x.length, 1);
  const at = (i: number) => LEFT + band * (i + 0.5);
  const bars = spec.x.map((label, i) => {
    let base = 0;
    return spec.series.map((s) => {
      const value = s.values[i] ?? 0;
      if (value <= 0) return '';
      const y0 = BASE - (base / top) * PLOT_H;
      base += value;
      const y1 = BASE - (base / top) * PLOT_H;
      return bar(at(i) - band * 0.4, y1, band * 0.8, y0 - y1, s, value, spec.format, label);
    });
  });
  return frame(
    spec,
    'stacked-bars',
    [yAxis(ticks, spec.format), xAxis(spec.x, at), bars],
    legend(spec.series),
  );
}

/** One line per series over the x labels; a null breaks the line; each value a marked point. */
export function lineChart(spec: ChartSpec): Html {
  const ticks = topOf(
    spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null)),
    spec.yMax,
  );
  const top = ticks[ticks.length - 1]!;
  const at = (i: number) =>
    spec.x.length === 1 ? LEFT + PLOT_W / 2 : LEFT + (PLOT_W * i) / (spec.x.length - 1);
  const y = (v: number) => BASE - (v / top) * PLOT_H;
  const lines = spec.series.map((s) => {
    const runs: string[][] = [[]];
    s.values.forEach((v, i) => {
      if (v === null) runs.push([]);
      else runs[runs.length - 1]!.push(`${px(at(i))},${px(y(v))}`);
    });
    return html`<g data-series="${s.name}">
      ${runs
        .filter((r) => r.length > 1)
        .map(
          (r) =>
            html`<polyline
              points="${r.join(' ')}"
              fill="none"
              stroke="${s.colour}"
              stroke-width="2"
              ${s.dashed ? html`stroke-dasharray="6 4"` : ''}
            />`,
        )}
      ${s.values.map((v, i) =>
        v === null
          ? ''
          : html`<circle
              cx="${px(at(i))}"
              cy="${px(y(v))}"
              r="3"
              fill="${s.colour}"
              data-series="${s.name}"
              data-x="${spec.x[i]}"
              data-value="${attrNumber(v)}"
              ><title>${s.name}, ${spec.x[i]}: ${spec.format(v)}</title></circle
            >`,
      )}
    </g>`;
  });
  return frame(spec, 'lines', [yAxis(ticks, spec.format), xAxis(spec.x, at), lines], legend(spec.series));
}

export interface Bar {
  name: string;
  colour: string;
  value: number;
}

/** One bar per category, each in its own colour. */
export function barChart(spec: Omit<ChartSpec, 'x' | 'series'> & { bars: readonly Bar[] }): Html {
  const ticks = topOf(
    spec.bars.map((b) => b.value),
    spec.yMax,
  );
  const top = ticks[ticks.length - 1]!;
  const band = PLOT_W / Math.max(spec.bars.length, 1);
  const at = (i: number) => LEFT + band * (i + 0.5);
  const width = Math.min(band * 0.6, 80);
  const bars = spec.bars.map((b, i) => {
    const height = (Math.max(b.value, 0) / top) * PLOT_H;
    return bar(at(i) - width / 2, BASE - height, width, height, b, b.value, spec.format);
  });
  return frame(
    spec,
    'bars',
    [
      yAxis(ticks, spec.format),
      xAxis(
        spec.bars.map((b) => b.name),
        at,
      ),
      bars,
    ],
    legend(spec.bars),
  );
}
