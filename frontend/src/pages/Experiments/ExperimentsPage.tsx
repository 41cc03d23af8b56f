/** Experiments: the calculator and the planner at /experiments, a campaign's experiment at /experiments/campaigns/:id. */
import { Space, Typography } from "antd";
import { Route, Routes } from "react-router";

import { Calculator } from "./Calculator";
import { CampaignExperiment } from "./CampaignExperiment";
import { SampleSizePlanner } from "./SampleSizePlanner";

function Tools() {
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        Experiments
      </Typography.Title>
      <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
        Check any test's counts (another tool's too) and plan how many recipients a test needs. A campaign's own
        experiment is on its page.
      </Typography.Paragraph>
      <Calculator />
      <SampleSizePlanner />
    </Space>
  );
}

export default function ExperimentsPage() {
  return (
    <Routes>
      <Route index element={<Tools />} />
      <Route path="campaigns/:id" element={<CampaignExperiment />} />
    </Routes>
  );
}
