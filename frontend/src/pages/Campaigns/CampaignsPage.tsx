/** Campaigns with their results, searchable and sortable, status filter in the URL; clone and archive. */
import { PlusOutlined } from "@ant-design/icons";
import { App, Card, Flex, Select, Space, Switch, Table, Typography } from "antd";
import type { TableProps } from "antd";
import { useState } from "react";
import { Link } from "react-router";

import { useArchiveCampaign, useCampaigns, useCampaignTotals, useCloneCampaign } from "../../api/campaigns";
import type { Campaign, CampaignStatus } from "../../api/types";
import { CAMPAIGN_STATUSES, STATUS_LABEL } from "../../components/campaignStatus";
import { formatCount, formatDateTime } from "../../components/format";
import { PermittedButton } from "../../components/Permitted";
import { ProblemAlert } from "../../components/ProblemAlert";
import { RiskScore } from "../../components/Risk";
import { SearchBox } from "../../components/SearchBox";
import { StatusTag } from "../../components/StatusTag";
import { useNotifyProblem } from "../../components/useNotifyProblem";
import { useUrlTable } from "../../components/useUrlState";
import { NewCampaignDrawer } from "./NewCampaignDrawer";

type Metric = "sent" | "delivered" | "clicked" | "converted" | "unsubscribed";

/** One number of a campaign's totals (distinct people); "—" until it has been sent. */
function TotalCell({ campaign, metric }: { campaign: Campaign; metric: Metric }) {
  const started = campaign.started_at !== null;
  const totals = useCampaignTotals(campaign.id, started);
  if (!started) return <Typography.Text type="secondary">—</Typography.Text>;
  return <>{formatCount(totals.data?.totals[metric])}</>;
}

const LIVE_STATUSES: ReadonlySet<CampaignStatus> = new Set(["running", "paused", "scheduled"]);

function RowActions({ campaign }: { campaign: Campaign }) {
  const clone = useCloneCampaign();
  const archive = useArchiveCampaign();
  const { message } = App.useApp();
  const notifyProblem = useNotifyProblem();
  const archived = campaign.archived_at !== null && campaign.archived_at !== undefined;
  return (
    <Space size={4}>
      <PermittedButton
        permission="campaigns:write"
        size="small"
        aria-label={`Clone ${campaign.name}`}
        loading={clone.isPending}
        onClick={() =>
          clone.mutate(campaign.id, {
            onSuccess: (copy) => void message.success(`Cloned as “${copy.name}”`),
            onError: notifyProblem,
          })
        }
      >
        Clone
      </PermittedButton>
      <PermittedButton
        permission="campaigns:write"
        size="small"
        aria-label={`${archived ? "Restore" : "Archive"} ${campaign.name}`}
        disabled={!archived && LIVE_STATUSES.has(campaign.status)}
        title={!archived && LIVE_STATUSES.has(campaign.status) ? "Cancel it first: a sending campaign stays in the list" : undefined}
        loading={archive.isPending}
        onClick={() =>
          archive.mutate(
            { id: campaign.id, archived: !archived },
            {
              onSuccess: () => void message.success(archived ? "Restored" : "Archived"),
              onError: notifyProblem,
            },
          )
        }
      >
        {archived ? "Restore" : "Archive"}
      </PermittedButton>
    </Space>
  );
}

export default function CampaignsPage() {
  const table = useUrlTable(20);
  const status = table.get("status") as CampaignStatus | undefined;
  const archived = table.get("archived") === "1";
  const [creating, setCreating] = useState(false);
  const campaigns = useCampaigns({
    status,
    q: table.q || undefined,
    sort: table.sort,
    archived,
    limit: table.pageSize,
    offset: table.offset,
  });

  const columns: TableProps<Campaign>["columns"] = [
    {
      title: "Name",
      key: "name",
      dataIndex: "name",
      sorter: true,
      sortOrder: table.sortOrder("name"),
      render: (name: string, campaign) => <Link to={`/campaigns/${campaign.id}`}>{name}</Link>,
    },
    {
      title: "Status",
      key: "status",
      dataIndex: "status",
      sorter: true,
      sortOrder: table.sortOrder("status"),
      render: (value: CampaignStatus) => <StatusTag status={value} />,
    },
    { title: "Risk", dataIndex: "risk_score", render: (score: number) => <RiskScore score={score} /> },
    ...(["sent", "delivered", "clicked", "converted"] as const).map((metric) => ({
      title: { sent: "Sent", delivered: "Delivered", clicked: "Clicked", converted: "Converted" }[metric],
      key: metric,
      align: "right" as const,
      render: (_: unknown, campaign: Campaign) => <TotalCell campaign={campaign} metric={metric} />,
    })),
    {
      title: "Opt-outs",
      key: "unsubscribed",
      align: "right",
      render: (_, campaign) => <TotalCell campaign={campaign} metric="unsubscribed" />,
    },
    {
      title: "Created",
      key: "created_at",
      dataIndex: "created_at",
      sorter: true,
      sortOrder: table.sortOrder("created_at"),
      render: (iso: string) => formatDateTime(iso),
    },
    { title: "Actions", key: "actions", render: (_, campaign) => <RowActions campaign={campaign} /> },
  ];

  return (
    <>
      <Flex justify="space-between" align="center" style={{ marginBottom: 16 }} gap={12} wrap>
        <Typography.Title level={2} style={{ margin: 0 }}>
          Campaigns
        </Typography.Title>
        <PermittedButton
          permission="campaigns:write"
          type="primary"
          icon={<PlusOutlined aria-hidden />}
          onClick={() => setCreating(true)}
        >
          New campaign
        </PermittedButton>
      </Flex>
      <Flex gap={12} wrap align="center" style={{ marginBottom: 16 }}>
        <SearchBox table={table} label="Search campaigns" placeholder="Search by name" />
        <Select<CampaignStatus>
          aria-label="Filter by status"
          allowClear
          placeholder="All statuses"
          style={{ width: 180 }}
          value={status}
          onChange={(value) => table.set({ status: value })}
          options={CAMPAIGN_STATUSES.map((s) => ({ value: s, label: STATUS_LABEL[s] }))}
        />
        <Space size={6}>
          <Switch
            id="show-archived"
            aria-label="Show archived"
            checked={archived}
            onChange={(checked) => table.set({ archived: checked ? "1" : undefined })}
          />
          <label htmlFor="show-archived">Show archived</label>
        </Space>
      </Flex>
      <ProblemAlert error={campaigns.error} />
      <Card styles={{ body: { padding: 0 } }}>
        <Table<Campaign>
          rowKey="id"
          columns={columns}
          dataSource={campaigns.data?.items ?? []}
          loading={campaigns.isLoading}
          scroll={{ x: "max-content" }}
          onChange={(pagination, _filters, sorter) => {
            if (pagination.current && pagination.current !== table.page) table.set({ page: pagination.current, sort: table.sort });
            else table.onSort(sorter as never);
          }}
          pagination={{
            current: table.page,
            pageSize: table.pageSize,
            total: campaigns.data?.total ?? 0,
            showSizeChanger: false,
            hideOnSinglePage: true,
          }}
          locale={{ emptyText: table.q || status ? "No campaign matches." : "No campaigns yet: create one with “New campaign”." }}
        />
      </Card>
      <NewCampaignDrawer open={creating} onClose={() => setCreating(false)} />
    </>
  );
}
