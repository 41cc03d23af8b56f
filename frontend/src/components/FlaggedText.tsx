/**
 * A message text as the safety guard checked it, with what it flagged marked in place: each span a
 * <mark> carrying the reason (severity colour, the reason on hover and for screen readers).
 */
import { Typography } from "antd";
import type { ReactNode } from "react";

import type { RiskReason } from "../api/types";

interface Flag {
  start: number;
  end: number;
  reasons: RiskReason[];
}

const MARK: Record<string, string> = { block: "#ffccc7", warn: "#ffe58f", info: "#d6e4ff" };
const RANK: Record<string, number> = { info: 0, warn: 1, block: 2 };

/** Merges overlapping spans so each character is marked once, with every reason that covers it. */
export function flagsOf(text: string, reasons: RiskReason[]): Flag[] {
  const located = reasons
    .filter((r): r is RiskReason & { span: number[] } => Array.isArray(r.span) && r.span.length === 2)
    .map((r) => ({ start: Math.max(0, r.span[0] ?? 0), end: Math.min(text.length, r.span[1] ?? 0), reasons: [r] }))
    .filter((f) => f.end > f.start)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Flag[] = [];
  for (const flag of located) {
    const last = merged.at(-1);
    if (last && flag.start < last.end) {
      last.end = Math.max(last.end, flag.end);
      last.reasons.push(...flag.reasons);
    } else merged.push({ ...flag, reasons: [...flag.reasons] });
  }
  return merged;
}

export function FlaggedText({ text, reasons }: { text: string; reasons: RiskReason[] }) {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const flag of flagsOf(text, reasons)) {
    if (flag.start > at) parts.push(text.slice(at, flag.start));
    const worst = flag.reasons.reduce((w, r) => ((RANK[r.severity] ?? 0) > (RANK[w] ?? 0) ? r.severity : w), "info");
    const why = flag.reasons.map((r) => r.message).join("; ");
    parts.push(
      <mark key={flag.start} title={why} style={{ background: MARK[worst] ?? MARK.warn, padding: "0 2px", borderRadius: 3 }}>
        {text.slice(flag.start, flag.end)}
        <span className="visually-hidden" style={{ position: "absolute", width: 1, height: 1, overflow: "hidden", clip: "rect(0 0 0 0)" }}>
          {` (flagged: ${why})`}
        </span>
      </mark>,
    );
    at = flag.end;
  }
  if (at < text.length) parts.push(text.slice(at));
  return <Typography.Text style={{ whiteSpace: "pre-wrap" }}>{parts}</Typography.Text>;
}
