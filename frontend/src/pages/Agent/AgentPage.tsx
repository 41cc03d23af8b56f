/** The strategist: ask it about campaigns (answers cite the tool results they come from) and the reply inbox. */
import { Tabs, Typography } from "antd";
import { useSearchParams } from "react-router";

import { ChatPanel } from "./ChatPanel";
import { ReplyInbox } from "./ReplyInbox";

export default function AgentPage() {
  const [params, setParams] = useSearchParams();
  const tab = params.get("tab") === "inbox" ? "inbox" : "chat";
  return (
    <>
      <Typography.Title level={2}>Strategist</Typography.Title>
      <Tabs
        activeKey={tab}
        onChange={(key) => setParams(key === "inbox" ? { tab: "inbox" } : {})}
        items={[
          { key: "chat", label: "Ask the strategist", children: <ChatPanel /> },
          { key: "inbox", label: "Reply inbox", children: <ReplyInbox /> },
        ]}
      />
    </>
  );
}
