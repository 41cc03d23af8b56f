/** The experiment's audited decisions, automatic and human, each with the figures behind it. */
import { Card, Empty, Timeline, Typography } from "antd";

import { useDecisions, type Decision } from "../../api/experiments";
import { formatDateTime } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";

const COLOUR: Record<string, string> = {
  "experiment.winner_chosen": "green",
  "experiment.winner_approved": "green",
  "experiment.arm_paused": "red",
  "experiment.campaign_paused": "red",
  "experiment.winner_proposed": "orange",
  "experiment.decision_postponed": "gray",
};

function actorName(decision: Decision): string {
  return decision.actor.startsWith("system:") ? "automatic" : decision.actor.replace(/^user:/, "");
}

export function DecisionsTimeline({ campaignId }: { campaignId: number }) {
  const decisions = useDecisions(campaignId);
  const items = (decisions.data ?? []).map((decision) => ({
    key: `${decision.at}-${decision.action}`,
    color: COLOUR[decision.action] ?? "blue",
    content: (
      <div>
        <Typography.Text strong>{formatDateTime(decision.at)}</Typography.Text>{" "}
        <Typography.Text type="secondary">· {actorName(decision)}</Typography.Text>
        <div>{decision.summary}</div>
      </div>
    ),
  }));
  return (
    <Card title="Decisions">
      <ProblemAlert error={decisions.error} />
      <section aria-label="Decisions">
        {items.length === 0 ? (
          <Empty description="No decision yet" />
        ) : (
          <Timeline items={items} />
        )}
      </section>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
        Every entry is also in the audit log, with all its figures.
      </Typography.Paragraph>
    </Card>
  );
}
