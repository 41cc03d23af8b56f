/** A campaign's experiment: verdict and certainty, intervals, every engine's numbers, revenue per recipient, guardrails, CUPED,
 * chance to win over time, the rollout (test-then-send, bandit) and its audited decisions. */
import { ArrowLeftOutlined } from "@ant-design/icons";
import { Alert, Card, Col, Result, Row, Space, Table, Tag, Typography } from "antd";
import { Link, useParams } from "react-router";

import { useExperimentReport, type Results } from "../../api/experiments";
import { asApiError } from "../../api/problem";
import { ProblemAlert } from "../../components/ProblemAlert";
import { ArmIntervals } from "./ArmIntervals";
import { ChanceOverTime } from "./ChanceOverTime";
import { DecisionsTimeline } from "./DecisionsTimeline";
import { formatP, formatRate } from "./numbers";
import { ResultsTable } from "./ResultsTable";
import { RevenueCard } from "./RevenueCard";
import { RolloutCard } from "./RolloutCard";
import { SampleSizePlanner } from "./SampleSizePlanner";
import { TrafficOverTime } from "./TrafficOverTime";
import { VerdictPanel } from "./VerdictPanel";

function Guardrails({ results }: { results: Results }) {
  const rows = (results.guardrails ?? []).map((g) => ({ ...g, id: `${g.key}-${g.metric}` }));
  return (
    <Card title="Guardrails">
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={rows}
        aria-label="Guardrails"
        columns={[
          { title: "Variant", dataIndex: "key" },
          { title: "Metric", dataIndex: "metric", render: (m: string) => (m === "unsubscribed" ? "opt-out" : m === "failed" ? "failed send (e.g. blocked bot)" : m) },
          {
            title: "Rate (95% Wilson interval)",
            key: "rate",
            render: (_, g) => (g.rate === null ? "—" : `${formatRate(g.rate)} (${formatRate(g.ci_low)}–${formatRate(g.ci_high)})`),
          },
          { title: "Limit", dataIndex: "threshold", render: (t: number) => formatRate(t, 1) },
          {
            title: "State",
            key: "state",
            render: (_, g) => (g.breached ? <Tag color="error">breached: surely above the limit</Tag> : <Tag>within</Tag>),
          },
        ]}
      />
    </Card>
  );
}

function Cuped({ results }: { results: Results }) {
  const cuped = results.cuped;
  return (
    <Card title="Adjusted for the recipients' past (CUPED)">
      {!cuped ? (
        <Typography.Text type="secondary">No recipient has the metric in the pre-period, so there is nothing to adjust for.</Typography.Text>
      ) : (
        <Space orientation="vertical" style={{ width: "100%" }}>
          <Typography.Text>
            Covariate: {cuped.covariate}. It removes {formatRate(cuped.variance_reduction, 0)} of the variance ({cuped.engine}).
          </Typography.Text>
          <Table
            rowKey="key"
            size="small"
            pagination={false}
            dataSource={cuped.arms}
            aria-label="CUPED-adjusted rates"
            columns={[
              { title: "Variant", dataIndex: "key" },
              { title: "Rate", dataIndex: "rate", render: (v: number) => formatRate(v) },
              { title: "Adjusted rate", dataIndex: "adjusted_rate", render: (v: number) => formatRate(v) },
              {
                title: "Difference (95% CI)",
                key: "diff",
                render: (_, a) => (a.difference === null ? "—" : `${formatRate(a.difference)} (${formatRate(a.ci_low)} to ${formatRate(a.ci_high)})`),
              },
              { title: "p-value", dataIndex: "p_value", render: formatP },
            ]}
          />
        </Space>
      )}
    </Card>
  );
}

export function CampaignExperiment() {
  const id = Number(useParams().id);
  const report = useExperimentReport(id);
  if (!Number.isInteger(id) || id <= 0) return <Result status="404" title="No such campaign" />;
  if (report.error && asApiError(report.error).status === 404)
    return <Result status="404" title="This campaign has no experiment" extra={<Link to="/campaigns">Back to campaigns</Link>} />;
  const results = report.data?.results;
  const variants = results?.arms.length ?? 2;
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Link to={`/campaigns/${id}`}>
        <ArrowLeftOutlined aria-hidden /> Back to the campaign
      </Link>
      <Typography.Title level={2} style={{ margin: 0 }}>
        Experiment of campaign {id}
      </Typography.Title>
      <ProblemAlert error={report.error} />
      {results && (
        <>
          <VerdictPanel analysis={results} />
          <Row gutter={[16, 16]}>
            <Col xs={24} xl={10}>
              <Card title="Rates and their 95% credible intervals">
                <ArmIntervals arms={results.arms} controlKey={results.control_key} />
                <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
                  {results.metric} per {results.exposure} message.
                </Typography.Paragraph>
              </Card>
            </Col>
            <Col xs={24} xl={14}>
              <RolloutCard campaignId={id} />
            </Col>
          </Row>
          <ChanceOverTime campaignId={id} metric={results.metric === "clicked" ? "clicked" : "converted"} />
          <Card title="Per variant">
            <ResultsTable analysis={results} caption="Per-variant statistics" />
          </Card>
          <RevenueCard results={results} />
          <Row gutter={[16, 16]}>
            <Col xs={24} xl={12}>
              <Guardrails results={results} />
            </Col>
            <Col xs={24} xl={12}>
              <Cuped results={results} />
            </Col>
          </Row>
          <TrafficOverTime campaignId={id} />
          <DecisionsTimeline campaignId={id} />
          <div id="planner">
            <SampleSizePlanner arms={variants} />
          </div>
        </>
      )}
      {report.isLoading && <Alert type="info" title="Loading the experiment…" />}
    </Space>
  );
}
