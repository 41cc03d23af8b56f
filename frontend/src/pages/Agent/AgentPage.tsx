/** The strategist: ask it about campaigns (answers cite the tool results they come from) the reply inbox, its prompts, and what it cost. */
import { Tabs, Typography } from "antd";
import { useSearchParams } from "react-router";

import { ChatPanel } from "./ChatPanel";
import { PromptsPanel } from "./PromptsPanel";
import { ReplyInbox } from "./ReplyInbox";
import { UsagePanel } from "./UsagePanel";

export default function AgentPage() {
  const [params, setParams] = useSearchParams();
  const asked = params.get("tab");
  const tab = asked === "inbox" || asked === "prompts" || asked === "usage" ? asked : "chat";
  return (
    <>
      <Typography.Title level={2}>Strategist</Typography.Title>
      <Tabs
        activeKey={tab}
        onChange={(key) => setParams(key === "chat" ? {} : { tab: key })}
        items={[
          { key: "chat", label: "Ask the strategist", children: <ChatPanel /> },
          { key: "inbox", label: "Reply inbox", children: <ReplyInbox /> },
          { key: "prompts", label: "Prompts", children: <PromptsPanel /> },
          { key: "usage", label: "Usage and cost", children: <UsagePanel /> },
        ]}
      />
    </>
  );
}
