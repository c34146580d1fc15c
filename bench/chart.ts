/**
 * The bench's chart: one horizontal bar per measure, scaled so that every target sits on the
 * same dashed line. A bar that ends left of the line met its target (green), right of it
 * missed (red). Plain SVG, no dependency.
 */

/** One measured figure; lower is better for every one of them. */
export interface BenchRow {
  readonly id: string;
  readonly label: string;
  readonly value: number;
  /** The most `value` may be; none for rows that are reported only. */
  readonly target?: number;
  /** 'x' for ratios, otherwise the unit printed after the value. */
  readonly unit: string;
  /** A comparison figure in the same unit, marked on the bar (e.g. what a minimal client achieves). */
  readonly reference?: { readonly value: number; readonly label: string };
  readonly details?: Record<string, unknown>;
}

const WIDTH = 860;
const LEFT = 24;
const RIGHT = WIDTH - 24;
/** Where every target lands, as a fraction of the bar area. */
const TARGET_AT = 0.55;
const ROW = 70;
const TOP = 92;

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (r: BenchRow, v: number) => (r.unit === 'x' ? `${v.toFixed(2)}x` : `${Number(v.toFixed(2))} ${r.unit}`);

export function renderChart(rows: BenchRow[], subtitle: string): string {
  const area = RIGHT - LEFT;
  const targetX = LEFT + TARGET_AT * area;
  const height = TOP + rows.length * ROW + 16;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">`);
  parts.push(`<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${LEFT}" y="30" font-size="19" font-weight="bold" fill="#222">cdktf-keyfactor benchmark: each result against its target</text>`);
  parts.push(`<text x="${LEFT}" y="52" font-size="12" fill="#555">${escape(subtitle)}</text>`);
  parts.push(`<text x="${LEFT}" y="72" font-size="12" fill="#555">Shorter is better. Bars are scaled per row so that every target falls on the dashed line.</text>`);

  rows.forEach((r, i) => {
    const y = TOP + i * ROW;
    const target = r.target ?? r.value;
    const met = r.target === undefined || r.value <= r.target;
    const fullLength = (r.value / target) * (targetX - LEFT);
    const clipped = fullLength > area;
    const length = Math.max(2, Math.min(area, fullLength));
    const colour = met ? '#2e7d32' : '#c62828';
    parts.push(`<text x="${LEFT}" y="${y + 14}" font-size="13" fill="#222">${escape(r.label)}</text>`);
    if (r.target !== undefined) {
      // The target line, drawn first: it shows through the bar, and the value is drawn over it.
      parts.push(`<line x1="${targetX.toFixed(1)}" y1="${y + 18}" x2="${targetX.toFixed(1)}" y2="${y + 66}" stroke="#222" stroke-width="1.5" stroke-dasharray="5,4"/>`);
    }
    parts.push(`<rect x="${LEFT}" y="${y + 22}" width="${length.toFixed(1)}" height="26" rx="3" fill="${colour}" opacity="0.85"/>`);
    const valueText = `${fmt(r, r.value)}${clipped ? ' (bar cut)' : ''}`;
    // The value goes inside the bar's end when it fits there, otherwise just after the bar.
    const inside = length > valueText.length * 8 + 16;
    parts.push(inside
      ? `<text x="${(LEFT + length - 8).toFixed(1)}" y="${y + 40}" font-size="13" font-weight="bold" fill="#fff" text-anchor="end">${escape(valueText)}</text>`
      : `<text x="${(LEFT + length + 8).toFixed(1)}" y="${y + 40}" font-size="13" font-weight="bold" fill="${colour}">${escape(valueText)}</text>`);
    if (r.reference) {
      const refX = LEFT + Math.min(area, (r.reference.value / target) * (targetX - LEFT));
      parts.push(`<line x1="${refX.toFixed(1)}" y1="${y + 19}" x2="${refX.toFixed(1)}" y2="${y + 51}" stroke="#fff" stroke-width="3"/>`);
      parts.push(`<line x1="${refX.toFixed(1)}" y1="${y + 19}" x2="${refX.toFixed(1)}" y2="${y + 56}" stroke="#333" stroke-width="1.5"/>`);
      parts.push(`<text x="${(refX - 5).toFixed(1)}" y="${y + 62}" font-size="11" fill="#333" text-anchor="end">${escape(`${r.reference.label}: ${fmt(r, r.reference.value)}`)}</text>`);
    }
    if (r.target !== undefined) {
      // Its value beside the target line.
      const label = `target ${r.unit === 'x' ? '≤ ' : ''}${fmt(r, r.target)}`;
      parts.push(`<text x="${(targetX + 6).toFixed(1)}" y="${y + 62}" font-size="11" fill="#444">${escape(label)}</text>`);
    }
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
