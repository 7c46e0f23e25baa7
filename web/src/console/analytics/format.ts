/** A share (0–1) as people read it: "12.3%"; a dash when there is none. */
export const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`;

/** A share as a chart plots it, in percent; null leaves a gap. */
export const pctValue = (x: number | null | undefined) =>
  x === null || x === undefined ? null : Math.round(x * 10000) / 100;

/** Hours as people read them: "2.5"; a dash when there is none. */
export const hoursText = (h: number | null | undefined) =>
  h === null || h === undefined ? "—" : h >= 100 ? String(Math.round(h)) : String(Math.round(h * 10) / 10);

/** Text for an ECharts HTML tooltip: our own words and the merchant's keys, escaped. */
export const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** A shared axis-name style: the unit under or beside the axis, in the secondary text colour. */
export const AXIS_NAME = { color: "rgba(0, 0, 0, 0.65)", fontSize: 12 };
