/** On the campaign page: the experiment's verdict with its certainty, and the way to the whole experiment. */
import { Alert } from "antd";
import { Link } from "react-router";

import { useExperimentReport } from "../../api/experiments";

export function ExperimentSummary({ campaignId }: { campaignId: number }) {
  const report = useExperimentReport(campaignId);
  const results = report.data?.results;
  // One variant has nothing to be compared with: no verdict to show, and none to wait for.
  if (!results || results.arms.length < 2) return null;
  return (
    <Alert
      type={results.verdict === "winner" ? "success" : "info"}
      showIcon
      title={`Experiment: ${results.reason}`}
      description={results.stopping.reason}
      action={<Link to={`/experiments/campaigns/${campaignId}`}>Open the experiment</Link>}
    />
  );
}
