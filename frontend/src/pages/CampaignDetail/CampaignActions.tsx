/** The buttons for the transitions the campaign's status allows, plus edit, clone, re-plan from the
 * stored brief and archive; the server has the last word. A role that may not change campaigns sees them disabled with the reason. */
import { App, Popconfirm, Space } from "antd";
import { useState } from "react";
import { useNavigate } from "react-router";

import {
  useArchiveCampaign,
  useCampaignAction,
  useCloneCampaign,
  useReplanCampaign,
  type CampaignAction,
} from "../../api/campaigns";
import type { Campaign } from "../../api/types";
import { usePermissions } from "../../auth/permissions";
import { actionsFor, STATUS_LABEL } from "../../components/campaignStatus";
import { PermittedButton } from "../../components/Permitted";
import { useNotifyProblem } from "../../components/useNotifyProblem";
import { EditCampaignDrawer } from "./EditCampaignDrawer";
import { SubmitConfirm } from "./SubmitConfirm";

const LABEL: Record<CampaignAction, string> = { submit: "Submit", pause: "Pause", resume: "Resume", cancel: "Cancel" };
const EDITABLE = new Set(["draft", "pending_review"]);
const ARCHIVABLE = new Set(["draft", "pending_review", "approved", "completed", "cancelled"]);

export function CampaignActions({ campaign }: { campaign: Campaign }) {
  const { message } = App.useApp();
  const notifyProblem = useNotifyProblem();
  const navigate = useNavigate();
  const { can } = usePermissions();
  const action = useCampaignAction(campaign.id);
  const clone = useCloneCampaign();
  const replan = useReplanCampaign();
  const archive = useArchiveCampaign();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const available = actionsFor(campaign.status);
  const archived = Boolean(campaign.archived_at);

  const run = (name: CampaignAction) =>
    action.mutate(name, {
      onSuccess: (updated) => {
        setConfirming(false);
        void message.success(`${LABEL[name]}: now ${STATUS_LABEL[updated.status].toLowerCase()}`);
      },
      onError: notifyProblem,
    });
  const busy = (name: CampaignAction) => action.isPending && action.variables === name;

  return (
    <Space wrap>
      {EDITABLE.has(campaign.status) && (
        <PermittedButton permission="campaigns:write" onClick={() => setEditing(true)}>
          Edit
        </PermittedButton>
      )}
      {available.map((name) =>
        name === "cancel" ? (
          <Popconfirm
            key={name}
            title="Cancel this campaign?"
            description="Messages not sent yet will not be sent. This cannot be undone."
            okText="Cancel campaign"
            okButtonProps={{ danger: true }}
            cancelText="Keep it"
            disabled={!can("campaigns:write")}
            onConfirm={() => run(name)}
          >
            <PermittedButton permission="campaigns:write" danger loading={busy(name)} disabled={action.isPending && !busy(name)}>
              {LABEL[name]}
            </PermittedButton>
          </Popconfirm>
        ) : (
          <PermittedButton
            key={name}
            permission="campaigns:write"
            type={name === "submit" || name === "resume" ? "primary" : "default"}
            loading={busy(name)}
            disabled={action.isPending && !busy(name)}
            onClick={() => (name === "submit" ? setConfirming(true) : run(name))}
          >
            {LABEL[name]}
          </PermittedButton>
        ),
      )}
      <PermittedButton
        permission="campaigns:write"
        loading={clone.isPending}
        onClick={() =>
          clone.mutate(campaign.id, {
            onSuccess: (copy) => {
              void message.success(`Cloned as “${copy.name}”`);
              navigate(`/campaigns/${copy.id}`);
            },
            onError: notifyProblem,
          })
        }
      >
        Clone
      </PermittedButton>
      {campaign.brief && (
        <PermittedButton
          permission="campaigns:write"
          loading={replan.isPending}
          disabled={clone.isPending}
          onClick={() =>
            replan.mutate(campaign.id, {
              onSuccess: (copy) => {
                void message.success(`Re-planned from the brief as “${copy.name}”`);
                navigate(`/campaigns/${copy.id}`);
              },
              onError: notifyProblem,
            })
          }
        >
          Re-plan from brief
        </PermittedButton>
      )}
      {(archived || ARCHIVABLE.has(campaign.status)) && (
        <PermittedButton
          permission="campaigns:write"
          loading={archive.isPending}
          onClick={() =>
            archive.mutate(
              { id: campaign.id, archived: !archived },
              { onSuccess: () => void message.success(archived ? "Restored" : "Archived"), onError: notifyProblem },
            )
          }
        >
          {archived ? "Restore" : "Archive"}
        </PermittedButton>
      )}
      {editing && <EditCampaignDrawer campaign={campaign} open={editing} onClose={() => setEditing(false)} />}
      <SubmitConfirm
        campaign={campaign}
        open={confirming}
        busy={busy("submit")}
        onConfirm={() => run("submit")}
        onCancel={() => setConfirming(false)}
      />
    </Space>
  );
}
