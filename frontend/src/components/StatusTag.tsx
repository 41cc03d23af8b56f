import { Tag } from "antd";

import type { CampaignStatus } from "../api/types";
import { STATUS_COLOR, STATUS_LABEL } from "./campaignStatus";

export function StatusTag({ status }: { status: CampaignStatus }) {
  return (
    <Tag color={STATUS_COLOR[status]} style={{ marginInlineEnd: 0 }}>
      {STATUS_LABEL[status] ?? status}
    </Tag>
  );
}
