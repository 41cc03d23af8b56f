/** All campaigns, newest first, with their status and risk; "New campaign" opens the creation form. */
import { PlusOutlined } from "@ant-design/icons";
import { Button, Card, Flex, Select, Table, Typography } from "antd";
import type { TableProps } from "antd";
import { useState } from "react";
import { Link } from "react-router";

import { useCampaigns } from "../../api/campaigns";
import type { Campaign, CampaignStatus } from "../../api/types";
import { CAMPAIGN_STATUSES, STATUS_LABEL } from "../../components/campaignStatus";
import { formatDateTime } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { RiskScore } from "../../components/Risk";
import { StatusTag } from "../../components/StatusTag";
import { NewCampaignDrawer } from "./NewCampaignDrawer";

const PAGE_SIZE = 20;

const columns: TableProps<Campaign>["columns"] = [
  {
    title: "Name",
    dataIndex: "name",
    render: (name: string, campaign) => <Link to={`/campaigns/${campaign.id}`}>{name}</Link>,
  },
  { title: "Status", dataIndex: "status", width: 150, render: (status: CampaignStatus) => <StatusTag status={status} /> },
  { title: "Risk", dataIndex: "risk_score", width: 90, render: (score: number) => <RiskScore score={score} /> },
  {
    title: "Variants",
    key: "variants",
    width: 90,
    align: "right",
    render: (_, campaign) => campaign.variants.length,
  },
  { title: "Created", dataIndex: "created_at", width: 190, render: (iso: string) => formatDateTime(iso) },
];

export default function CampaignsPage() {
  const [status, setStatus] = useState<CampaignStatus | undefined>(undefined);
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const campaigns = useCampaigns(status, PAGE_SIZE, (page - 1) * PAGE_SIZE);

  return (
    <>
      <Flex justify="space-between" align="center" style={{ marginBottom: 16 }} gap={12} wrap>
        <Typography.Title level={2} style={{ margin: 0 }}>
          Campaigns
        </Typography.Title>
        <Flex gap={12}>
          <Select<CampaignStatus>
            aria-label="Filter by status"
            allowClear
            placeholder="All statuses"
            style={{ width: 180 }}
            value={status}
            onChange={(value) => {
              setStatus(value);
              setPage(1);
            }}
            options={CAMPAIGN_STATUSES.map((s) => ({ value: s, label: STATUS_LABEL[s] }))}
          />
          <Button type="primary" icon={<PlusOutlined aria-hidden />} onClick={() => setCreating(true)}>
            New campaign
          </Button>
        </Flex>
      </Flex>
      <ProblemAlert error={campaigns.error} />
      <Card styles={{ body: { padding: 0 } }}>
        <Table<Campaign>
          rowKey="id"
          columns={columns}
          dataSource={campaigns.data?.items ?? []}
          loading={campaigns.isLoading}
          pagination={{
            current: page,
            pageSize: PAGE_SIZE,
            total: campaigns.data?.total ?? 0,
            showSizeChanger: false,
            hideOnSinglePage: true,
            onChange: setPage,
          }}
          locale={{ emptyText: "No campaigns yet: create one with “New campaign”." }}
        />
      </Card>
      <NewCampaignDrawer open={creating} onClose={() => setCreating(false)} />
    </>
  );
}
