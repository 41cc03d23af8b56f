/** The plain-language verdict with its certainty, whether the test may stop, and every warning (SRM, guardrails). */
import { Alert, Space } from "antd";

import type { Analysis } from "../../api/experiments";

export function VerdictPanel({ analysis }: { analysis: Analysis }) {
  const winner = analysis.verdict === "winner";
  return (
    <Space orientation="vertical" size={8} style={{ width: "100%" }} aria-label="Verdict">
      <Alert
        role="status"
        type={winner ? "success" : "info"}
        showIcon
        title={winner ? `Winner: variant ${analysis.leader}` : analysis.verdict === "not_enough_data" ? "Not enough data yet" : "No clear winner yet"}
        description={analysis.reason}
      />
      <Alert
        type={analysis.stopping.can_stop ? "success" : "warning"}
        showIcon
        title={analysis.stopping.can_stop ? "You can stop the test" : "Keep going"}
        description={analysis.stopping.reason}
      />
      {analysis.srm?.mismatch && (
        <Alert
          type="error"
          showIcon
          title="Sample ratio mismatch"
          description={`The variants' sends do not match their planned shares (chi-square p = ${analysis.srm.p_value.toPrecision(2)} < 0.001): something in the split or the tracking is off, so the results may mislead.`}
        />
      )}
      {analysis.warnings
        .filter((warning) => !(analysis.srm?.mismatch && warning.toLowerCase().includes("sample ratio")))
        .map((warning) => (
          <Alert key={warning} type="warning" showIcon title={warning} />
        ))}
    </Space>
  );
}
