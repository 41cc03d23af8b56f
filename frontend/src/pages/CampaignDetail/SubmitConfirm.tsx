/** Before Submit: who will receive it after consent, frequency cap and quiet hours, how long it takes at
 * the sender's limit, when the first message may go, in the campaign's time zone, and (two or more variants)
 * whether that reach gives the test its power, planned on the rate earlier campaigns observed (named). */
import { Alert, Descriptions, Modal, Skeleton, Typography } from "antd";
import { Link } from "react-router";

import { useLaunchPreview } from "../../api/campaigns";
import { usePlannedSample } from "../../api/experiments";
import type { Campaign, LaunchPreview } from "../../api/types";
import { formatCount } from "../../components/format";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatDuration } from "../Dashboard/DashboardPage";

function inZone(iso: string, zone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: zone }).format(new Date(iso));
  } catch {
    return new Date(iso).toISOString();
  }
}

// The planner's defaults: a marketer changes them on the experiment page's planner.
const LIFT = 0.1;
const POWER = 0.8;

/** Whether the reach gives a test of the variants its power, by the sample-size API, on the base rate
 * the preview read from earlier campaigns (else the stated assumption). */
function TestPower({
  campaignId,
  arms,
  reach,
  baseRate,
}: {
  campaignId: number;
  arms: number;
  reach: number;
  baseRate: LaunchPreview["base_rate"];
}) {
  const plan = usePlannedSample(
    { base_rate: baseRate.rate, minimum_detectable_lift: LIFT, power: POWER, alpha: 0.05, arms, audience: reach },
    arms >= 2,
  );
  if (arms < 2 || !plan.data) return null;
  return (
    <Alert
      role="status"
      aria-label="Power of the test"
      style={{ marginTop: 12 }}
      type={plan.data.audience_sufficient ? "info" : "warning"}
      showIcon
      title={plan.data.audience_sufficient ? "Enough recipients for the test" : "Too few recipients for the test"}
      description={
        <>
          {plan.data.reason} {baseRate.reason} <Link to={`/experiments/campaigns/${campaignId}#planner`}>Plan other rates on the experiment page</Link>.
        </>
      }
    />
  );
}

export function SubmitConfirm({
  campaign,
  open,
  busy,
  onConfirm,
  onCancel,
}: {
  campaign: Campaign;
  open: boolean;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const preview = useLaunchPreview(campaign.id, open);
  const p = preview.data;
  const soon = p ? new Date(p.starts_at).getTime() - Date.now() < 60_000 : true;
  return (
    <Modal
      open={open}
      title={`Submit “${campaign.name}”?`}
      okText="Submit"
      okButtonProps={{ loading: busy, disabled: !p }}
      cancelText="Back"
      onOk={onConfirm}
      onCancel={onCancel}
      destroyOnHidden
    >
      <ProblemAlert error={preview.error} />
      {!p ? (
        <Skeleton active />
      ) : (
        <section aria-label="Reach">
          <Typography.Paragraph strong style={{ fontSize: 16 }}>
            {formatCount(p.will_receive)} of {formatCount(p.audience)} will receive it
            {p.capped ? `; ${formatCount(p.capped)} capped` : ""}
            {p.without_consent ? `; ${formatCount(p.without_consent)} without consent` : ""}.
          </Typography.Paragraph>
          <Descriptions
            size="small"
            column={1}
            items={[
              { key: "audience", label: "Audience", children: formatCount(p.audience) },
              { key: "consent", label: "No consent in force (not sent)", children: formatCount(p.without_consent) },
              { key: "cap", label: "Over the frequency cap (skipped)", children: formatCount(p.capped) },
              ...(p.never_started_bot
                ? [{ key: "unreachable", label: "Never started this bot (Telegram refuses)", children: formatCount(p.never_started_bot) }]
                : []),
              { key: "quiet", label: "Wait for quiet hours to end", children: formatCount(p.held_by_quiet_hours) },
              {
                key: "duration",
                label: "Expected duration",
                children: `${formatDuration(p.expected_duration_s)} at ${p.rate_per_s} messages/s (the sender's limit)`,
              },
              {
                key: "start",
                label: `Sending starts (${p.timezone})`,
                children: soon ? `now (${inZone(p.starts_at, p.timezone)})` : inZone(p.starts_at, p.timezone),
              },
            ]}
          />
          {(p.never_started_bot ?? 0) > 0 && (
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 8 }}
              title={`${formatCount(p.never_started_bot)} ${p.never_started_bot === 1 ? "contact" : "contacts"} never started this bot`}
              description="Telegram lets a bot write only to people who started it: their messages will fail (chat not found). Ask them to press Start via your bot's link first."
            />
          )}
          {p.will_receive === 0 && <Alert type="warning" showIcon title="Nobody would receive this campaign now." />}
          {p.will_receive > 0 && (
            <TestPower campaignId={campaign.id} arms={campaign.variants.length} reach={p.will_receive} baseRate={p.base_rate} />
          )}
          <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
            Consent and the cap are checked again for each message as it is sent.
          </Typography.Paragraph>
        </section>
      )}
    </Modal>
  );
}
