/** Per-variant statistics, each with how sure it is: rate and interval, chances, lift and interval, p-values. */
import { Table, Tag, Tooltip, Typography } from "antd";
import type { TableProps } from "antd";

import type { Analysis, ArmResult } from "../../api/experiments";
import { formatCount } from "../../components/format";
import { formatChance, formatLift, formatP, formatRate } from "./numbers";

const VERDICT: Record<string, { label: string; colour: string }> = {
  control: { label: "control", colour: "default" },
  not_enough_data: { label: "not enough data yet", colour: "default" },
  better: { label: "better", colour: "success" },
  worse: { label: "worse", colour: "error" },
  inconclusive: { label: "inconclusive", colour: "processing" },
};

export function ResultsTable({ analysis, caption }: { analysis: Analysis; caption: string }) {
  const level = `${Math.round(analysis.confidence * 100)}%`;
  const control = analysis.control_key;
  const columns: TableProps<ArmResult>["columns"] = [
    { title: "Variant", dataIndex: "key", key: "key", render: (key: string) => (key === control ? `${key} (control)` : key) },
    { title: "Trials", dataIndex: "trials", key: "trials", align: "right", render: formatCount },
    { title: "Successes", dataIndex: "successes", key: "successes", align: "right", render: formatCount },
    {
      title: `Rate (${level} credible interval)`,
      key: "rate",
      align: "right",
      render: (_, arm) =>
        arm.trials === 0 ? (
          <Typography.Text type="secondary">no trials</Typography.Text>
        ) : (
          <span>
            {formatRate(arm.rate)}{" "}
            <Typography.Text type="secondary">
              ({formatRate(arm.ci_low)}–{formatRate(arm.ci_high)})
            </Typography.Text>
          </span>
        ),
    },
    {
      title: "Chance to beat control",
      dataIndex: "chance_to_beat_control",
      key: "beat",
      align: "right",
      render: (p: number | null, arm) => (arm.key === control ? <Typography.Text type="secondary">—</Typography.Text> : formatChance(p)),
    },
    { title: "Chance to be best", dataIndex: "chance_to_be_best", key: "best", align: "right", render: formatChance },
    {
      title: (
        <Tooltip title="The rate you expect to give up by choosing this variant, as a share of the control's rate.">
          <span>Expected loss</span>
        </Tooltip>
      ),
      dataIndex: "expected_loss_relative",
      key: "loss",
      align: "right",
      render: (p: number | null) => (p === null || p === undefined ? "—" : formatRate(p, 1)),
    },
    {
      title: `Lift (${level} interval)`,
      key: "lift",
      align: "right",
      render: (_, arm) =>
        arm.key === control || arm.lift === null ? (
          "—"
        ) : (
          <span>
            {formatLift(arm.lift)}{" "}
            <Typography.Text type="secondary">
              ({formatLift(arm.lift_ci_low)} to {formatLift(arm.lift_ci_high)})
            </Typography.Text>
          </span>
        ),
    },
    {
      title: (
        <Tooltip title="Two-sided p-value of the two-proportion z test against the control; valid when read once at the planned size.">
          <span>p-value (z test)</span>
        </Tooltip>
      ),
      dataIndex: "p_value",
      key: "p",
      align: "right",
      render: formatP,
    },
    {
      title: (
        <Tooltip title="Always-valid p-value of the sequential test: safe to read after every send.">
          <span>Always-valid p</span>
        </Tooltip>
      ),
      key: "seq",
      align: "right",
      render: (_, arm) => formatP(arm.sequential?.p_value),
    },
    {
      title: "Verdict",
      key: "verdict",
      render: (_, arm) => {
        const verdict = VERDICT[arm.verdict] ?? { label: arm.verdict, colour: "default" };
        return (
          <Tooltip title={arm.reason}>
            <Tag color={verdict.colour}>{verdict.label}</Tag>
          </Tooltip>
        );
      },
    },
  ];
  return (
    <section aria-label={caption}>
      {/* Scrolls sideways on a narrow screen; focusable so a keyboard can scroll it too. */}
      <div tabIndex={0} style={{ overflowX: "auto" }}>
        <Table<ArmResult> rowKey="key" size="middle" columns={columns} dataSource={analysis.arms} pagination={false} />
      </div>
      <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
        Flat numbers: {analysis.engine}, Beta({analysis.prior_alpha}, {analysis.prior_beta}) prior. Chances are exact and
        rounded down. The always-valid p comes from the sequential engine ({analysis.arms.find((a) => a.sequential)?.sequential?.engine ?? "—"}).
      </Typography.Paragraph>
    </section>
  );
}
