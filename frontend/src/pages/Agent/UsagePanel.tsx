/** What the strategist cost: the budgets, the spend per month and per campaign, and every call with its tokens and cost. */
import { Card, Flex, Table, Typography } from "antd";
import { useState } from "react";
import { Link } from "react-router";

import { useBudget, useUsageCalls, useUsageReport, type UsageCall } from "../../api/agent";
import { formatCount, formatDateTime, formatPercent } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";

const PAGE = 20;

/** Micro-USD in dollars to a hundredth of a cent: LLM calls often cost less than one cent. */
export function usd(micros: number): string {
  return `$${(micros / 1_000_000).toFixed(4)}`;
}

const PURPOSES: Record<string, string> = { plan_campaign: "Campaign plan", chat: "Chat answer", results_summary: "Results summary" };

function Budgets() {
  const budget = useBudget();
  if (!budget.data) return <ProblemAlert error={budget.error} />;
  const { day, month } = budget.data;
  const state = budget.data.exhausted ? " — used up: every LLM call is refused until it resets" : budget.data.warning ? " — over 80% used" : "";
  return (
    <Typography.Paragraph>
      Today {usd(day.spent_usd_micros)} of {usd(day.limit_usd_micros)} ({formatPercent(day.used_share, 0)}); this month{" "}
      {usd(month.spent_usd_micros)} of {usd(month.limit_usd_micros)} ({formatPercent(month.used_share, 0)}){state}. One call may
      spend at most {usd(budget.data.call_limit_usd_micros)}.
    </Typography.Paragraph>
  );
}

export function UsagePanel() {
  const report = useUsageReport();
  const [page, setPage] = useState(1);
  const calls = useUsageCalls(PAGE, (page - 1) * PAGE);
  return (
    <Flex vertical gap={16}>
      <Budgets />
      <ProblemAlert error={report.error ?? calls.error} />
      <Flex gap={16} wrap>
        <Card title="Spend by month" size="small" style={{ flex: "1 1 360px" }}>
          <Table
            aria-label="Spend by month"
            size="small"
            rowKey="month"
            pagination={false}
            loading={report.isLoading}
            dataSource={report.data?.months ?? []}
            locale={{ emptyText: "No LLM calls in the last 12 months" }}
            columns={[
              { title: "Month (UTC)", dataIndex: "month" },
              { title: "Calls", dataIndex: "calls", align: "right", render: formatCount },
              { title: "Tokens in / out", key: "tokens", align: "right", render: (_, m) => `${formatCount(m.input_tokens)} / ${formatCount(m.output_tokens)}` },
              { title: "Cost", dataIndex: "cost_usd_micros", align: "right", render: usd },
            ]}
          />
        </Card>
        <Card title="Spend by campaign" size="small" style={{ flex: "1 1 360px" }}>
          <Table
            aria-label="Spend by campaign"
            size="small"
            rowKey="campaign_id"
            pagination={{ pageSize: 10, hideOnSinglePage: true }}
            loading={report.isLoading}
            dataSource={report.data?.campaigns ?? []}
            locale={{ emptyText: "No campaign has spent anything yet" }}
            columns={[
              { title: "Campaign", dataIndex: "campaign_id", render: (id: number) => <Link to={`/campaigns/${id}`}>Campaign #{id}</Link> },
              { title: "Calls", dataIndex: "calls", align: "right", render: formatCount },
              { title: "Cost", dataIndex: "cost_usd_micros", align: "right", render: usd },
            ]}
          />
        </Card>
      </Flex>
      <Card title="Calls" size="small">
        <Table<UsageCall>
          aria-label="LLM calls"
          size="small"
          rowKey="id"
          loading={calls.isLoading}
          dataSource={calls.data?.items ?? []}
          locale={{ emptyText: "No LLM calls yet" }}
          pagination={{ current: page, pageSize: PAGE, total: calls.data?.total ?? 0, onChange: setPage, hideOnSinglePage: true, showSizeChanger: false }}
          columns={[
            { title: "When", dataIndex: "created_at", render: formatDateTime },
            { title: "For", dataIndex: "purpose", render: (p: string) => PURPOSES[p] ?? p },
            { title: "Campaign", dataIndex: "campaign_id", render: (id: number | null) => (id ? <Link to={`/campaigns/${id}`}>#{id}</Link> : "—") },
            { title: "Model", key: "model", render: (_, c) => `${c.provider} · ${c.model}` },
            { title: "Tokens in / out", key: "tokens", align: "right", render: (_, c) => `${formatCount(c.input_tokens)} / ${formatCount(c.output_tokens)}` },
            { title: "Cost", dataIndex: "cost_usd_micros", align: "right", render: usd },
            { title: "Prompt", dataIndex: "prompt_version", render: (v: string) => <Typography.Text type="secondary">{v || "—"}</Typography.Text> },
          ]}
        />
      </Card>
    </Flex>
  );
}
