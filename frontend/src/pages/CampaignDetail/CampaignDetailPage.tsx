/** One campaign: status and actions, strategy, variants, delivery, and live per-variant results. */
import { ArrowLeftOutlined } from "@ant-design/icons";
import { useQueryClient } from "@tanstack/react-query";
import { Alert, Card, Col, Descriptions, Flex, Result, Row, Skeleton, Space, Tag, Typography } from "antd";
import { useEffect, useReducer, useRef } from "react";
import { Link, useParams } from "react-router";

import { LIVE_POLL_MS, useCampaign } from "../../api/campaigns";
import { useSegments, useSenders } from "../../api/directory";
import { keys } from "../../api/keys";
import { useLastEventAt } from "../../api/results";
import { asApiError } from "../../api/problem";
import type { Campaign, CampaignStatus, DeliveryCounts } from "../../api/types";
import { isHandWritten, isLive, resultsSettleAt, resultsStillMoving } from "../../components/campaignStatus";
import { formatDateTime } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { RiskReasons, RiskScore } from "../../components/Risk";
import { StatusTag } from "../../components/StatusTag";
import { StrategistNotes } from "../../components/StrategistNotes";
import { BriefCard } from "./BriefCard";
import { CampaignActions } from "./CampaignActions";
import { DeliveriesTable } from "./DeliveriesTable";
import { DeliveryCard } from "./DeliveryCard";
import { ExperimentSummary } from "../Experiments/ExperimentSummary";
import { LiveResults } from "./LiveResults";
import { ResultsOverTime } from "./ResultsOverTime";
import { ResultsSummaryCard } from "./ResultsSummaryCard";
import { VariantsCard } from "./VariantsCard";

const NO_DELIVERIES: DeliveryCounts = { queued: 0, sending: 0, sent: 0, failed: 0, skipped: 0, dead: 0, in_doubt: 0 };

/** When sending stops (completed, paused, cancelled), fetch the results once more for the final numbers. */
function useRefreshResultsWhenSendingStops(campaign: Campaign | undefined) {
  const client = useQueryClient();
  const previous = useRef<CampaignStatus | undefined>(undefined);
  useEffect(() => {
    if (!campaign) return;
    if (previous.current !== undefined && previous.current !== campaign.status) {
      void client.invalidateQueries({ queryKey: keys.results(campaign.id) });
    }
    previous.current = campaign.status;
  }, [campaign, client]);
}

/** Renders the page again when a stopped campaign's results settle: its results stop polling then. */
function useRenderAgainWhenSettled(campaign: Campaign | undefined, lastEventAt: string | null | undefined) {
  const [, renderAgain] = useReducer((n: number) => n + 1, 0);
  const settleAt = campaign && !isLive(campaign.status) ? resultsSettleAt(campaign, lastEventAt) : null;
  useEffect(() => {
    if (settleAt === null) return;
    const wait = settleAt - Date.now();
    if (wait <= 0) return;
    const timer = window.setTimeout(renderAgain, Math.min(wait + 1_000, 2 ** 31 - 1));
    return () => window.clearTimeout(timer);
  }, [settleAt]);
}

function Overview({ campaign }: { campaign: Campaign }) {
  const senders = useSenders();
  const segments = useSegments();
  const sender = senders.data?.find((s) => s.id === campaign.sender_id);
  const segment = segments.data?.items.find((s) => s.id === campaign.segment_id);
  return (
    <Card title="Overview">
      <Descriptions
        column={{ xs: 1, md: 2 }}
        size="small"
        items={[
          { key: "goal", label: "Brief / goal", span: "filled", children: <Typography.Text style={{ whiteSpace: "pre-wrap" }}>{campaign.goal}</Typography.Text> },
          { key: "risk", label: "Risk score", children: <RiskScore score={campaign.risk_score} scale /> },
          { key: "purpose", label: "Purpose", children: campaign.purpose },
          { key: "sender", label: "Sender", children: sender?.name ?? campaign.sender_id },
          { key: "segment", label: "Segment", children: campaign.segment_id === null ? "All consenting contacts" : (segment?.name ?? campaign.segment_id) },
          {
            key: "agent",
            label: "Strategist",
            children: (
              <Space size={4}>
                {isHandWritten(campaign) ? "none: variants written by hand" : campaign.agent_provider}
                {campaign.agent_offline && !isHandWritten(campaign) && <Tag color="warning">offline: templates used</Tag>}
                {campaign.ai_generated && (
                  <Tag color="purple" title="An LLM wrote these texts (EU AI Act art. 50); a person reviews them before sending">
                    AI-generated
                  </Tag>
                )}
              </Space>
            ),
          },
          { key: "created", label: "Created", children: formatDateTime(campaign.created_at) },
          { key: "start_at", label: "Start at", children: campaign.start_at ? formatDateTime(campaign.start_at) : "As soon as approved" },
          {
            key: "window",
            label: "Send window",
            children: campaign.send_window ? `${campaign.send_window.start}–${campaign.send_window.end} local time` : "Any time of day",
          },
          {
            key: "quiet",
            label: "Quiet hours",
            children: campaign.quiet_hours ? `${campaign.quiet_hours.start}–${campaign.quiet_hours.end}` : "None",
          },
          { key: "timezone", label: "Time zone", children: campaign.timezone ?? "Server default" },
          ...(campaign.recurrence
            ? [
                {
                  key: "recurrence",
                  label: "Repeats",
                  children: (
                    <Space size={4} wrap>
                      <Typography.Text code>{campaign.recurrence}</Typography.Text>
                      <span>
                        {campaign.runs} run{campaign.runs === 1 ? "" : "s"} so far
                        {campaign.next_run_at ? `, next ${formatDateTime(campaign.next_run_at)}` : ""}
                      </span>
                    </Space>
                  ),
                },
              ]
            : []),
          { key: "started", label: "Sending started", children: formatDateTime(campaign.started_at) },
          { key: "finished", label: "Finished", children: formatDateTime(campaign.completed_at) },
          { key: "reasons", label: "Risk reasons", span: "filled", children: <RiskReasons reasons={campaign.risk_reasons} /> },
        ]}
      />
    </Card>
  );
}

export default function CampaignDetailPage() {
  const id = Number(useParams().id);
  const campaignQuery = useCampaign(id);
  const campaign = campaignQuery.data;
  const lastEventAt = useLastEventAt(id, campaign !== undefined);
  useRefreshResultsWhenSendingStops(campaign);
  useRenderAgainWhenSettled(campaign, lastEventAt);

  if (!Number.isInteger(id) || id <= 0) return <Result status="404" title="No such campaign" />;
  if (campaignQuery.isLoading) return <Skeleton active paragraph={{ rows: 8 }} />;
  if (!campaign) {
    const problem = campaignQuery.error ? asApiError(campaignQuery.error) : null;
    if (problem?.status === 404) {
      return <Result status="404" title="No such campaign" extra={<Link to="/campaigns">Back to campaigns</Link>} />;
    }
    return <ProblemAlert error={campaignQuery.error} />;
  }

  // Sending: every 2 s. After it stops, events still arrive: every 10 s until a day without any.
  const live = resultsStillMoving(campaign, lastEventAt);
  const pollMs = isLive(campaign.status) ? LIVE_POLL_MS : 10_000;
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Link to="/campaigns">
        <ArrowLeftOutlined aria-hidden /> Campaigns
      </Link>
      <Flex justify="space-between" align="center" gap={12} wrap>
        <Space size={12} align="center" wrap>
          <Typography.Title level={2} style={{ margin: 0 }}>
            {campaign.name}
          </Typography.Title>
          <span role="status" aria-label="Campaign status" aria-live="polite">
            <StatusTag status={campaign.status} />
          </span>
        </Space>
        <Link to={`/campaigns/${campaign.id}/analytics`}>Analytics: live counts, ROI, breakdowns</Link>
        <CampaignActions campaign={campaign} />
      </Flex>
      {campaign.status === "pending_review" && (
        <Alert
          type="warning"
          showIcon
          title="Waiting for a reviewer"
          description={
            <>
              The safety guard flagged this campaign. It is sent only after approval in the{" "}
              <Link to="/reviews" style={{ textDecoration: "underline" }}>
                Review queue
              </Link>
              .
            </>
          }
        />
      )}
      {campaignQuery.error && <ProblemAlert error={campaignQuery.error} />}
      <Overview campaign={campaign} />
      {campaign.brief ? <BriefCard brief={campaign.brief} /> : null}
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <Card title="Strategy" style={{ height: "100%" }}>
            <StrategistNotes notes={campaign.agent_notes ?? []} />
            {campaign.strategy ? (
              <Typography.Paragraph style={{ whiteSpace: "pre-wrap", marginBottom: 0 }}>{campaign.strategy}</Typography.Paragraph>
            ) : (
              <Typography.Text type="secondary">No strategy: the variants were written by hand.</Typography.Text>
            )}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <VariantsCard variants={campaign.variants} aiGenerated={campaign.ai_generated} />
        </Col>
      </Row>
      <DeliveryCard campaignId={campaign.id} counts={campaign.delivery_counts ?? NO_DELIVERIES} />
      {campaign.status === "completed" || campaign.status === "cancelled" ? (
        <ResultsSummaryCard key={campaign.status} campaignId={campaign.id} />
      ) : null}
      <ExperimentSummary campaignId={campaign.id} />
      <LiveResults campaignId={campaign.id} live={live} pollMs={pollMs} />
      <ResultsOverTime campaignId={campaign.id} live={live} pollMs={pollMs} />
      <DeliveriesTable campaignId={campaign.id} />
    </Space>
  );
}
