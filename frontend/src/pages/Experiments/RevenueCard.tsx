/** Revenue per recipient beside the conversion rate: every recipient counts (0 for those who did not buy),
 * each variant's mean with its interval, the difference and lift against the control, and how sure that is. */
import { Alert, Card, Space, Table, Typography } from "antd";

import type { ArmResult, Results } from "../../api/experiments";
import { formatCount } from "../../components/format";
import { formatLift, formatP } from "./numbers";

function money(value: number | null | undefined, currency: string): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return new Intl.NumberFormat("en", { style: "currency", currency, minimumFractionDigits: 2 }).format(value);
}

export function RevenueCard({ results }: { results: Results }) {
  const summary = results.revenue;
  const level = `${Math.round(results.confidence * 100)}%`;
  const control = results.control_key;
  if (!summary)
    return (
      <section aria-label="Revenue per recipient">
        <Card title="Revenue per recipient">
          <Typography.Text type="secondary">
            No conversion of this campaign reports a value in USD yet, so there is no revenue per recipient to compare.
          </Typography.Text>
        </Card>
      </section>
    );
  const currency = summary.currency || "USD";
  const holm = results.arms.some((arm) => arm.revenue?.p_value_holm !== null && arm.revenue?.p_value_holm !== undefined);
  return (
    <section aria-label="Revenue per recipient">
    <Card title="Revenue per recipient">
      <Space orientation="vertical" style={{ width: "100%" }}>
        <Alert
          role="status"
          aria-label="Revenue verdict"
          type={summary.leader ? "success" : "info"}
          showIcon
          title={summary.leader ? `More revenue per recipient: variant ${summary.leader}` : "No variant surely brings more revenue per recipient"}
          description={summary.reason}
        />
        <div tabIndex={0} style={{ overflowX: "auto" }}>
          <Table<ArmResult>
            rowKey="key"
            size="small"
            pagination={false}
            dataSource={results.arms}
            aria-label="Revenue per recipient"
            columns={[
              { title: "Variant", dataIndex: "key", render: (key: string) => (key === control ? `${key} (control)` : key) },
              { title: "Recipients", key: "n", align: "right", render: (_, arm) => formatCount(arm.revenue?.recipients) },
              { title: "Buyers", key: "buyers", align: "right", render: (_, arm) => formatCount(arm.revenue?.converters) },
              { title: "Revenue", key: "total", align: "right", render: (_, arm) => money(arm.revenue?.total, currency) },
              {
                title: `Per recipient (${level} interval)`,
                key: "mean",
                align: "right",
                render: (_, arm) =>
                  arm.revenue ? (
                    <span>
                      {money(arm.revenue.mean_per_recipient, currency)}{" "}
                      {arm.revenue.mean_ci_low !== null && arm.revenue.mean_ci_low !== undefined && (
                        <Typography.Text type="secondary">
                          ({money(arm.revenue.mean_ci_low, currency)} to {money(arm.revenue.mean_ci_high, currency)})
                        </Typography.Text>
                      )}
                    </span>
                  ) : (
                    "—"
                  ),
              },
              {
                title: `Difference vs ${control} (${level} interval)`,
                key: "diff",
                align: "right",
                render: (_, arm) =>
                  arm.revenue?.difference === null || arm.revenue?.difference === undefined
                    ? "—"
                    : `${arm.revenue.difference >= 0 ? "+" : ""}${money(arm.revenue.difference, currency)} (${money(arm.revenue.ci_low, currency)} to ${money(arm.revenue.ci_high, currency)})`,
              },
              {
                title: `Lift (${level} interval)`,
                key: "lift",
                align: "right",
                render: (_, arm) =>
                  arm.revenue?.lift === null || arm.revenue?.lift === undefined
                    ? "—"
                    : `${formatLift(arm.revenue.lift)} (${formatLift(arm.revenue.lift_ci_low)} to ${formatLift(arm.revenue.lift_ci_high)})`,
              },
              {
                title: holm ? "p-value (Holm)" : "p-value",
                key: "p",
                align: "right",
                render: (_, arm) => formatP(holm ? arm.revenue?.p_value_holm : arm.revenue?.p_value),
              },
            ]}
          />
        </div>
        <Typography.Text type="secondary">{summary.engine}. Only conversions reported in {currency} count.</Typography.Text>
      </Space>
    </Card>
    </section>
  );
}
