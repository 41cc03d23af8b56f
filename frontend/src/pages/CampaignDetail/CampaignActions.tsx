/** The buttons for the transitions the campaign's status allows; the server has the last word. */
import { App, Button, Popconfirm, Space } from "antd";

import { useCampaignAction, type CampaignAction } from "../../api/campaigns";
import type { Campaign } from "../../api/types";
import { actionsFor, STATUS_LABEL } from "../../components/campaignStatus";
import { useNotifyProblem } from "../../components/useNotifyProblem";

const LABEL: Record<CampaignAction, string> = { submit: "Submit", pause: "Pause", resume: "Resume", cancel: "Cancel" };

export function CampaignActions({ campaign }: { campaign: Campaign }) {
  const { message } = App.useApp();
  const notifyProblem = useNotifyProblem();
  const action = useCampaignAction(campaign.id);
  const available = actionsFor(campaign.status);
  if (available.length === 0) return null;

  const run = (name: CampaignAction) =>
    action.mutate(name, {
      onSuccess: (updated) => void message.success(`${LABEL[name]}: now ${STATUS_LABEL[updated.status].toLowerCase()}`),
      onError: notifyProblem,
    });
  const busy = (name: CampaignAction) => action.isPending && action.variables === name;

  return (
    <Space wrap>
      {available.map((name) =>
        name === "cancel" ? (
          <Popconfirm
            key={name}
            title="Cancel this campaign?"
            description="Messages not sent yet will not be sent. This cannot be undone."
            okText="Cancel campaign"
            okButtonProps={{ danger: true }}
            cancelText="Keep it"
            onConfirm={() => run(name)}
          >
            <Button danger loading={busy(name)} disabled={action.isPending && !busy(name)}>
              {LABEL[name]}
            </Button>
          </Popconfirm>
        ) : (
          <Button
            key={name}
            type={name === "submit" || name === "resume" ? "primary" : "default"}
            loading={busy(name)}
            disabled={action.isPending && !busy(name)}
            onClick={() => run(name)}
          >
            {LABEL[name]}
          </Button>
        ),
      )}
    </Space>
  );
}
