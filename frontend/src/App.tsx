import { QueryClientProvider } from "@tanstack/react-query";
import { App as AntApp, ConfigProvider, Spin } from "antd";
import { lazy, Suspense, useEffect, type ReactNode } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";

import { useSession } from "./auth/session";
import { AppLayout } from "./layout/AppLayout";
import { LoginPage } from "./pages/Login/LoginPage";
import { queryClient } from "./queryClient";

// One chunk a page: the login screen loads without the tables and statistics of the others.
const CampaignsPage = lazy(() => import("./pages/Campaigns/CampaignsPage"));
const CampaignDetailPage = lazy(() => import("./pages/CampaignDetail/CampaignDetailPage"));
const ReviewQueuePage = lazy(() => import("./pages/ReviewQueue/ReviewQueuePage"));
const ContactsPage = lazy(() => import("./pages/Contacts/ContactsPage"));
const SendersPage = lazy(() => import("./pages/Senders/SendersPage"));
const DashboardPage = lazy(() => import("./pages/Dashboard/DashboardPage"));
const ContactDetailPage = lazy(() => import("./pages/ContactDetail/ContactDetailPage"));
const SegmentsPage = lazy(() => import("./pages/Segments/SegmentsPage"));
const AuditLogPage = lazy(() => import("./pages/AuditLog/AuditLogPage"));
const PrivacyPage = lazy(() => import("./pages/Privacy/PrivacyPage"));
const ApiKeysPage = lazy(() => import("./pages/ApiKeys/ApiKeysPage"));
const SettingsPage = lazy(() => import("./pages/Settings/SettingsPage"));
const UsersPage = lazy(() => import("./pages/Users/UsersPage"));
const ExperimentsPage = lazy(() => import("./pages/Experiments/ExperimentsPage"));
const NotFoundPage = lazy(() => import("./pages/NotFound/NotFoundPage"));
const FunnelsPage = lazy(() => import("./pages/Funnels/FunnelsPage"));
const CampaignAnalyticsPage = lazy(() => import("./pages/CampaignAnalytics/CampaignAnalyticsPage"));
const AgentPage = lazy(() => import("./pages/Agent/AgentPage"));
const SafetyPage = lazy(() => import("./pages/Safety/SafetyPage"));

function RequireAuth({ children }: { children: ReactNode }) {
  const { token } = useSession();
  const location = useLocation();
  if (!token) return <Navigate to="/login" replace state={{ from: `${location.pathname}${location.search}` }} />;
  return children;
}

/** Forget every cached answer when the user signs out or the session expires. */
function ClearCacheOnSignOut() {
  const { token } = useSession();
  useEffect(() => {
    if (!token) queryClient.clear();
  }, [token]);
  return null;
}

const pageFallback = (
  <div style={{ padding: 48, textAlign: "center" }}>
    <Spin />
  </div>
);

// Darker than Ant Design's defaults where they fall short of WCAG AA contrast (4.5:1): the primary
// blue behind white menu text, and secondary/description text on white.
const THEME = {
  token: {
    colorPrimary: "#0958d9",
    colorLink: "#0958d9",
    colorInfo: "#0958d9",
    // Hovered and pressed shades darker than at rest (Ant Design's are lighter): white text on a
    // hovered primary or danger button, and a hovered link, keep their 4.5:1.
    colorPrimaryHover: "#003eb3",
    colorPrimaryActive: "#002c8c",
    colorLinkHover: "#003eb3",
    colorLinkActive: "#002c8c",
    colorErrorHover: "#a8071a",
    colorErrorActive: "#820014",
    colorSuccess: "#237804",
    colorWarning: "#ad4e00",
    colorError: "#cf1322",
    // The light backgrounds of status tags and alerts, kept at Ant Design's defaults (a darker seed
    // colour would otherwise derive a darker background).
    colorSuccessBg: "#f6ffed",
    colorSuccessBorder: "#b7eb8f",
    colorWarningBg: "#fffbe6",
    colorWarningBorder: "#ffe58f",
    colorErrorBg: "#fff2f0",
    colorErrorBorder: "#ffccc7",
    colorInfoBg: "#e6f4ff",
    colorInfoBorder: "#91caff",
    borderRadius: 8,
    colorTextSecondary: "rgba(0, 0, 0, 0.65)",
    colorTextDescription: "rgba(0, 0, 0, 0.65)",
    colorTextTertiary: "rgba(0, 0, 0, 0.6)",
    colorTextPlaceholder: "rgba(0, 0, 0, 0.58)",
    colorTextDisabled: "rgba(0, 0, 0, 0.56)", // also empty tables' text
  },
};

export function AppRoot() {
  return (
    <ConfigProvider theme={THEME}>
      <AntApp>
        <QueryClientProvider client={queryClient}>
          <BrowserRouter>
            <ClearCacheOnSignOut />
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route
                element={
                  <RequireAuth>
                    <AppLayout />
                  </RequireAuth>
                }
              >
                <Route index element={<Suspense fallback={pageFallback}><DashboardPage /></Suspense>} />
                <Route path="campaigns" element={<Suspense fallback={pageFallback}><CampaignsPage /></Suspense>} />
                <Route path="campaigns/:id" element={<Suspense fallback={pageFallback}><CampaignDetailPage /></Suspense>} />
                <Route path="campaigns/:id/analytics" element={<Suspense fallback={pageFallback}><CampaignAnalyticsPage /></Suspense>} />
                <Route path="funnels" element={<Suspense fallback={pageFallback}><FunnelsPage /></Suspense>} />
                <Route path="reviews" element={<Suspense fallback={pageFallback}><ReviewQueuePage /></Suspense>} />
                <Route path="contacts" element={<Suspense fallback={pageFallback}><ContactsPage /></Suspense>} />
                <Route path="contacts/:id" element={<Suspense fallback={pageFallback}><ContactDetailPage /></Suspense>} />
                <Route path="segments" element={<Suspense fallback={pageFallback}><SegmentsPage /></Suspense>} />
                <Route path="audit" element={<Suspense fallback={pageFallback}><AuditLogPage /></Suspense>} />
                <Route path="privacy" element={<Suspense fallback={pageFallback}><PrivacyPage /></Suspense>} />
                <Route path="api-keys" element={<Suspense fallback={pageFallback}><ApiKeysPage /></Suspense>} />
                <Route path="experiments/*" element={<Suspense fallback={pageFallback}><ExperimentsPage /></Suspense>} />
                <Route path="settings" element={<Suspense fallback={pageFallback}><SettingsPage /></Suspense>} />
                <Route path="senders" element={<Suspense fallback={pageFallback}><SendersPage /></Suspense>} />
                <Route path="agent" element={<Suspense fallback={pageFallback}><AgentPage /></Suspense>} />
                <Route path="safety" element={<Suspense fallback={pageFallback}><SafetyPage /></Suspense>} />
                <Route path="users" element={<Suspense fallback={pageFallback}><UsersPage /></Suspense>} />
                <Route path="*" element={<Suspense fallback={pageFallback}><NotFoundPage /></Suspense>} />
              </Route>
            </Routes>
          </BrowserRouter>
        </QueryClientProvider>
      </AntApp>
    </ConfigProvider>
  );
}
