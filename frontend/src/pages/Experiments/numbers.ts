/** How the experiment pages write their numbers: a chance is rounded down, so 94.96% never reads 95.0%. */
export function formatChance(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return "—";
  if (p >= 0.999) return ">99.9%";
  if (p < 0.001) return "<0.1%";
  return `${(Math.floor(p * 1000) / 10).toFixed(1)}%`;
}

/** A rate or share with two decimals of a percent: 0.03456 → "3.46%". */
export function formatRate(p: number | null | undefined, digits = 2): string {
  if (p === null || p === undefined || Number.isNaN(p)) return "—";
  return `${(p * 100).toFixed(digits)}%`;
}

export function formatLift(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return "—";
  return `${p >= 0 ? "+" : ""}${(p * 100).toFixed(1)}%`;
}

export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return "—";
  if (p < 0.0001) return "<0.0001";
  return p.toPrecision(2);
}
