/** The frame of every signed-in page: navigation to every area (a drawer on phones), the user's role, Log out. */
import {
  ApiOutlined,
  AuditOutlined,
  ContactsOutlined,
  DashboardOutlined,
  FileSearchOutlined,
  FilterOutlined,
  FunnelPlotOutlined,
  LogoutOutlined,
  MenuOutlined,
  ExperimentOutlined,
  NotificationOutlined,
  RobotOutlined,
  SendOutlined,
  SettingOutlined,
  UserOutlined,
} from "@ant-design/icons";
import { Avatar, Badge, Button, Drawer, Grid, Layout, Menu, Space, Tag, Typography, theme } from "antd";
import type { MenuProps } from "antd";
import { useState } from "react";
import { Outlet, useLocation, useNavigate } from "react-router";

import { useMe } from "../api/auth";
import { useOpenReviewCount } from "../api/reviews";
import { session, useSession } from "../auth/session";

const { Header, Sider, Content } = Layout;

export const SECTIONS = [
  { key: "/", label: "Dashboard", icon: <DashboardOutlined aria-hidden /> },
  { key: "/campaigns", label: "Campaigns", icon: <NotificationOutlined aria-hidden /> },
  { key: "/reviews", label: "Review queue", icon: <AuditOutlined aria-hidden /> },
  { key: "/agent", label: "Strategist", icon: <RobotOutlined aria-hidden /> },
  { key: "/contacts", label: "Contacts", icon: <ContactsOutlined aria-hidden /> },
  { key: "/segments", label: "Segments", icon: <FilterOutlined aria-hidden /> },
  { key: "/funnels", label: "Funnels", icon: <FunnelPlotOutlined aria-hidden /> },
  { key: "/experiments", label: "Experiments", icon: <ExperimentOutlined aria-hidden /> },
  { key: "/senders", label: "Senders", icon: <SendOutlined aria-hidden /> },
  { key: "/safety", label: "Safety", icon: <AuditOutlined aria-hidden /> },
  { key: "/audit", label: "Audit log", icon: <FileSearchOutlined aria-hidden /> },
  { key: "/privacy", label: "Privacy", icon: <AuditOutlined aria-hidden /> },
  { key: "/api-keys", label: "API keys", icon: <ApiOutlined aria-hidden /> },
  { key: "/users", label: "Users", icon: <UserOutlined aria-hidden /> },
  { key: "/settings", label: "Settings", icon: <SettingOutlined aria-hidden /> },
];

function selectedSection(pathname: string): string {
  if (pathname === "/") return "/";
  return SECTIONS.find((s) => s.key !== "/" && (pathname === s.key || pathname.startsWith(`${s.key}/`)))?.key ?? "/";
}

function Navigation({ onNavigate }: { onNavigate?: () => void }) {
  const location = useLocation();
  const navigate = useNavigate();
  const openReviews = useOpenReviewCount();
  const items: MenuProps["items"] = SECTIONS.map((section) => ({
    key: section.key,
    icon: section.icon,
    label:
      section.key === "/reviews" && (openReviews.data ?? 0) > 0 ? (
        <Space size={8}>
          {section.label}
          <Badge count={openReviews.data} size="small" aria-label={`${openReviews.data} open`} />
        </Space>
      ) : (
        section.label
      ),
  }));
  return (
    <nav aria-label="Main">
      <Menu
        theme="dark"
        mode="inline"
        selectedKeys={[selectedSection(location.pathname)]}
        items={items}
        onClick={({ key }) => {
          navigate(key);
          onNavigate?.();
        }}
      />
    </nav>
  );
}

const BRAND = "Marketing Intelligence Agent";

export function AppLayout() {
  const { token: design } = theme.useToken();
  const screens = Grid.useBreakpoint();
  const narrow = !screens.lg;
  const [menuOpen, setMenuOpen] = useState(false);
  const { user } = useSession();
  const me = useMe();
  const role = me.data?.role ?? user?.role;

  return (
    <Layout style={{ minHeight: "100vh" }}>
      {!narrow && (
        <Sider width={220} theme="dark">
          <div style={{ padding: "18px 20px", color: "#fff", fontWeight: 600, lineHeight: 1.3 }}>{BRAND}</div>
          <Navigation />
        </Sider>
      )}
      {narrow && (
        <Drawer
          title={BRAND}
          placement="left"
          size={260}
          open={menuOpen}
          onClose={() => setMenuOpen(false)}
          styles={{ body: { padding: 0, background: "#001529" } }}
        >
          <Navigation onNavigate={() => setMenuOpen(false)} />
        </Drawer>
      )}
      <Layout style={{ minWidth: 0 }}>
        <Header
          style={{
            background: design.colorBgContainer,
            paddingInline: narrow ? 12 : 24,
            display: "flex",
            justifyContent: narrow ? "space-between" : "flex-end",
            alignItems: "center",
            gap: 8,
            borderBottom: `1px solid ${design.colorBorderSecondary}`,
          }}
        >
          {narrow && (
            <Button icon={<MenuOutlined aria-hidden />} onClick={() => setMenuOpen(true)} aria-expanded={menuOpen}>
              Menu
            </Button>
          )}
          <Space size={narrow ? 6 : 12}>
            {!narrow && <Avatar size="small" icon={<UserOutlined aria-hidden />} />}
            <Typography.Text strong>{user?.username ?? "…"}</Typography.Text>
            {role && (
              <Tag color="blue" aria-label={`Role: ${role}`}>
                {role}
              </Tag>
            )}
            <Button icon={<LogoutOutlined aria-hidden />} onClick={() => session.signOut()}>
              Log out
            </Button>
          </Space>
        </Header>
        <Content style={{ padding: narrow ? 12 : 24, minWidth: 0 }}>
          <Outlet />
        </Content>
      </Layout>
    </Layout>
  );
}
