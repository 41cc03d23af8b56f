/** The sample size planner: the recipients a test needs to detect a lift, and whether an audience has them. */
import { Alert, Button, Card, Form, InputNumber, Space } from "antd";

import { useSampleSize } from "../../api/experiments";
import { ProblemAlert } from "../../components/ProblemAlert";

interface PlannerForm {
  base_rate_percent: number;
  lift_percent: number;
  power_percent: number;
  arms: number;
  audience?: number | null;
}

export function SampleSizePlanner({ audience, arms }: { audience?: number; arms?: number }) {
  const plan = useSampleSize();
  const submit = (values: PlannerForm) =>
    plan.mutate({
      base_rate: values.base_rate_percent / 100,
      minimum_detectable_lift: values.lift_percent / 100,
      power: values.power_percent / 100,
      arms: values.arms,
      audience: values.audience ?? null,
      alpha: 0.05,
    });
  return (
    <Card title="Sample size planner">
      <Form<PlannerForm>
        layout="inline"
        aria-label="Sample size planner"
        initialValues={{ base_rate_percent: 3, lift_percent: 10, power_percent: 80, arms: arms ?? 2, audience }}
        onFinish={submit}
        style={{ rowGap: 12 }}
      >
        <Form.Item label="Base rate (%)" name="base_rate_percent" rules={[{ required: true }]}>
          <InputNumber min={0.0001} max={99.9999} step={0.5} />
        </Form.Item>
        <Form.Item label="Lift to detect (%)" name="lift_percent" rules={[{ required: true }]}>
          <InputNumber min={-99} max={10000} step={5} />
        </Form.Item>
        <Form.Item label="Power (%)" name="power_percent" rules={[{ required: true }]}>
          <InputNumber min={1} max={99} />
        </Form.Item>
        <Form.Item label="Variants" name="arms" rules={[{ required: true }]}>
          <InputNumber min={2} max={20} />
        </Form.Item>
        <Form.Item label="Audience" name="audience">
          <InputNumber min={0} placeholder="optional" />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" loading={plan.isPending}>
            Plan
          </Button>
        </Form.Item>
      </Form>
      <Space orientation="vertical" style={{ width: "100%", marginTop: 12 }}>
        <ProblemAlert error={plan.error} />
        {plan.data && (
          <Alert
            role="status"
            type={plan.data.audience_sufficient === false ? "warning" : "info"}
            showIcon
            title={`${plan.data.per_arm.toLocaleString()} recipients per variant, ${plan.data.total.toLocaleString()} in all`}
            description={`${plan.data.reason} Two-sided test at ${(plan.data.alpha_per_comparison * 100).toPrecision(2)}% per comparison.`}
          />
        )}
      </Space>
    </Card>
  );
}
