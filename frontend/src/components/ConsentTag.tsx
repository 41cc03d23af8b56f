import { Tag } from "antd";

import type { ConsentState } from "../api/types";

const LOOK: Record<ConsentState, { color: string; label: string }> = {
  granted: { color: "success", label: "Consented" },
  withdrawn: { color: "error", label: "Withdrawn" },
  none: { color: "default", label: "No consent" },
};

export function ConsentTag({ state }: { state: ConsentState | null | undefined }) {
  const look = LOOK[state ?? "none"];
  return <Tag color={look.color}>{look.label}</Tag>;
}
