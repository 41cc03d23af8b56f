/**
 * Names for the API's shapes, taken from the generated schema by path, so they hold whatever the
 * backend calls its components. When the OpenAPI changes, `npm run gen:api` and `tsc` say what moved.
 */
import type { paths } from "./schema";

type JsonOf<R> = R extends { content: { "application/json": infer T } } ? T : never;
type Ok<Op> = Op extends { responses: { 200: infer R } }
  ? JsonOf<R>
  : Op extends { responses: { 201: infer R } }
    ? JsonOf<R>
    : never;
type BodyOf<Op> = Op extends { requestBody?: { content: { "application/json": infer T } } } ? T : never;

type CampaignPath = paths["/api/v1/orchestrator/campaigns/{campaign_id}"];
type ReviewsPath = paths["/api/v1/orchestrator/reviews"];

export type TokenResponse = Ok<paths["/api/v1/auth/login"]["post"]>;
export type LoginRequest = BodyOf<paths["/api/v1/auth/login"]["post"]>;
export type User = TokenResponse["user"];
export type Role = User["role"];

export type Campaign = Ok<CampaignPath["get"]>;
export type CampaignStatus = Campaign["status"];
export type CampaignPage = Ok<paths["/api/v1/orchestrator/campaigns"]["get"]>;
export type CampaignCreate = BodyOf<paths["/api/v1/orchestrator/campaigns"]["post"]>;
export type RiskReason = Campaign["risk_reasons"][number];
export type Variant = Campaign["variants"][number];
export type DeliveryCounts = NonNullable<Campaign["delivery_counts"]>;

export type ReviewPage = Ok<ReviewsPath["get"]>;
export type ReviewItem = ReviewPage["items"][number];
export type ReviewStatus = ReviewItem["status"];

export type ContactPage = Ok<paths["/api/v1/orchestrator/contacts"]["get"]>;
export type Contact = ContactPage["items"][number];
export type SegmentPage = Ok<paths["/api/v1/orchestrator/segments"]["get"]>;
export type Segment = SegmentPage["items"][number];
export type Sender = Ok<paths["/api/v1/telegram/senders"]["get"]>[number];

export type CampaignStats = Ok<paths["/api/v1/analytics/campaigns/{campaign_id}/stats"]["get"]>;
export type VariantStats = CampaignStats["variants"][number];
export type Funnel = Ok<paths["/api/v1/analytics/campaigns/{campaign_id}/funnel"]["get"]>;
export type FunnelStep = Funnel["steps"][number];
export type ExperimentReport = Ok<paths["/api/v1/experiments/campaigns/{campaign_id}"]["get"]>;
export type ExperimentResults = ExperimentReport["results"];
export type ArmResult = ExperimentResults["arms"][number];

export type RedriveRequest = BodyOf<paths["/api/v1/orchestrator/campaigns/{campaign_id}/redrive"]["post"]>;
export type RedriveResult = Ok<paths["/api/v1/orchestrator/campaigns/{campaign_id}/redrive"]["post"]>;
export type SenderCreate = BodyOf<paths["/api/v1/telegram/senders"]["post"]>;
export type SenderTestRequest = BodyOf<paths["/api/v1/telegram/senders/{sender_id}/test"]["post"]>;
export type SenderTestResult = Ok<paths["/api/v1/telegram/senders/{sender_id}/test"]["post"]>;
export type DailyWindow = NonNullable<CampaignCreate["send_window"]>;

type ContactPath = paths["/api/v1/orchestrator/contacts/{contact_id}"];
export type Me = Ok<paths["/api/v1/auth/me"]["get"]>;
export type Permission = Me["permissions"][number];
export type ContactDetail = Ok<ContactPath["get"]>;
export type ConsentRecord = ContactDetail["consents"][number];
export type Delivery = ContactDetail["deliveries"][number];
export type ConsentState = NonNullable<Contact["consent"]>;
export type ImportPreview = Ok<paths["/api/v1/orchestrator/contacts/import/preview"]["post"]>;
export type ImportResult = Ok<paths["/api/v1/orchestrator/contacts/import"]["post"]>;
export type SegmentFilter = Segment["filter"];
export type SegmentPreview = Ok<paths["/api/v1/orchestrator/segments/preview"]["post"]>;
export type CampaignUpdate = BodyOf<CampaignPath["patch"]>;
export type LaunchPreview = Ok<paths["/api/v1/orchestrator/campaigns/{campaign_id}/launch-preview"]["get"]>;
export type Overview = Ok<paths["/api/v1/orchestrator/overview"]["get"]>;
export type SenderDay = Overview["senders"][number];
export type AuditPage = Ok<paths["/api/v1/compliance/audit"]["get"]>;
export type AuditEntry = AuditPage["items"][number];
export type AuditVerification = Ok<paths["/api/v1/compliance/audit/verify"]["get"]>;
export type ApiKey = Ok<paths["/api/v1/auth/api-keys"]["get"]>[number];
export type ApiKeyCreated = Ok<paths["/api/v1/auth/api-keys"]["post"]>;

export type UserList = Ok<paths["/api/v1/auth/users"]["get"]>;
export type UserCreate = BodyOf<paths["/api/v1/auth/users"]["post"]>;
export type UserCreated = Ok<paths["/api/v1/auth/users"]["post"]>;
export type UserUpdate = BodyOf<paths["/api/v1/auth/users/{user_id}"]["patch"]>;
export type PasswordChange = BodyOf<paths["/api/v1/auth/password"]["post"]>;
export type RoleInfo = Ok<paths["/api/v1/auth/roles"]["get"]>[number];
export type EffectiveSetting = Ok<paths["/api/v1/auth/settings"]["get"]>[number];
export type CampaignTimeseries = Ok<paths["/api/v1/analytics/campaigns/{campaign_id}/timeseries"]["get"]>;
export type TimeseriesPoint = CampaignTimeseries["points"][number];
export type ReviewText = NonNullable<ReviewItem["texts"]>[number];
export type VariantIn = NonNullable<CampaignUpdate["variants"]>[number];
