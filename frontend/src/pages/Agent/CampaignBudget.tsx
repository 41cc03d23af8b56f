/** The campaign a conversation is about, and that campaign's LLM budget: spent, cap, and a person's own cap. */
import { Alert, Button, Flex, InputNumber, Select, Space, Typography } from "antd";
import { useState } from "react";

import { useCampaignBudget, useSetCampaignBudget } from "../../api/agent";
import { useCampaigns } from "../../api/campaigns";
import { formatPercent, formatUsdMicros } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { ResultsSummaryCard } from "../CampaignDetail/ResultsSummaryCard";

function BudgetEditor({ campaignId }: { campaignId: number }) {
  const budget = useCampaignBudget(campaignId);
  const save = useSetCampaignBudget(campaignId);
  const [limit, setLimit] = useState<number | null>(null);
  if (!budget.data) return <ProblemAlert error={budget.error} />;
  const { line, own_limit } = budget.data;
  const text =
    `This campaign's LLM spend: ${formatUsdMicros(line.spent_usd_micros)} of ${formatUsdMicros(line.limit_usd_micros)} ` +
    `(${formatPercent(line.used_share, 0)}), ${own_limit ? "its own budget" : "the default per campaign"}.`;
  const type = line.exhausted ? "error" : line.warning ? "warning" : "info";
  return (
    <Flex vertical gap={8}>
      <Alert
        type={type}
        showIcon
        title={line.exhausted ? "This campaign's LLM budget is used up: the strategist stops working on it." : text}
        description={line.exhausted ? text : undefined}
      />
      <Space wrap>
        <InputNumber
          aria-label="Campaign LLM budget in USD"
          min={0.01}
          step={0.5}
          prefix="$"
          placeholder={(line.limit_usd_micros / 1_000_000).toFixed(2)}
          value={limit}
          onChange={(value) => setLimit(value)}
        />
        {/* Never disabled: a greyed-out button fails the contrast check; without a value it does nothing. */}
        <Button onClick={() => limit && save.mutate(limit)} loading={save.isPending}>
          Set budget
        </Button>
        {own_limit ? (
          <Button type="link" onClick={() => save.mutate(null)}>
            Use the default
          </Button>
        ) : null}
      </Space>
      <ProblemAlert error={save.error} />
    </Flex>
  );
}

export function CampaignContext({ value, onChange }: { value?: number; onChange: (id?: number) => void }) {
  const campaigns = useCampaigns({ limit: 100, offset: 0 });
  return (
    <Flex vertical gap={8}>
      <Space wrap>
        <Typography.Text id="about-campaign">About a campaign (its budget counts too):</Typography.Text>
        <Select
          aria-labelledby="about-campaign"
          allowClear
          showSearch
          optionFilterProp="label"
          style={{ minWidth: 240, maxWidth: "100%" }}
          placeholder="Any campaign"
          value={value}
          onChange={(id?: number) => onChange(id)}
          options={(campaigns.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
        />
      </Space>
      {value !== undefined ? <ResultsSummaryCard key={`s${value}`} campaignId={value} /> : null}
      {value !== undefined ? <BudgetEditor key={value} campaignId={value} /> : null}
    </Flex>
  );
}
